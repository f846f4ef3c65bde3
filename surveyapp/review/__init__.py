"""Review: cleaning collected responses (void, restore, correct) and their quality flags."""
