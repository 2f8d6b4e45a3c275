"""``bstm cases sync``: collection, plan, source edits and TM writes (``cli/`` only parses)."""
