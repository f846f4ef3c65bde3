"""What export and import agree on: sheet columns, type names, language headers."""

# Header names of the languages we know, as export writes them ("label::Swahili (sw)")
LANG_NAMES = {"vi": "Vietnamese", "en": "English", "fr": "French", "zh": "Chinese"}
LANG_NAMES |= {"sw": "Swahili", "tet": "Tetun", "pt": "Portuguese", "es": "Spanish"}
LANG_NAMES |= {"id": "Indonesian", "km": "Khmer", "lo": "Lao", "th": "Thai", "my": "Burmese"}
LANG_NAMES |= {"ar": "Arabic", "ru": "Russian", "de": "German", "ja": "Japanese"}
LANG_NAMES |= {"ko": "Korean", "hi": "Hindi", "bn": "Bengali", "am": "Amharic", "ha": "Hausa"}
LANG_NAMES |= {"so": "Somali", "ne": "Nepali", "tl": "Tagalog", "ms": "Malay"}
LANG_NAMES |= {"rw": "Kinyarwanda", "hmn": "Hmong", "ur": "Urdu", "fa": "Persian"}
# …and the other names people write for them, in lower case
LANG_ALIASES = {"tiếng việt": "vi", "tieng viet": "vi", "français": "fr", "kiswahili": "sw"}
LANG_ALIASES |= {"tetum": "tet", "español": "es", "bahasa indonesia": "id", "filipino": "tl"}
LANG_ALIASES |= {"myanmar": "my", "farsi": "fa", "mandarin": "zh", "português": "pt"}
SELECT = {"likert": "select_one", "single": "select_one", "multi": "select_multiple"}
PLAIN = {"text": "text", "date": "date", "info": "note"}
FRAMEWORK_COLUMNS = ["kind", "id", "item", "group", "weight", "codes", "min", "max", "among"]
