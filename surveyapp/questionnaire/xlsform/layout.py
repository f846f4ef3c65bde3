"""What export and import agree on: sheet columns, type names, language headers."""

LANG_NAMES = {"vi": "Vietnamese", "en": "English", "fr": "French", "zh": "Chinese"}
SELECT = {"likert": "select_one", "single": "select_one", "multi": "select_multiple"}
PLAIN = {"text": "text", "date": "date", "info": "note"}
FRAMEWORK_COLUMNS = ["kind", "id", "item", "group", "weight", "codes", "min", "max", "among"]
