"""Views of the content app: thin (parse, call one action or selector, render)."""
