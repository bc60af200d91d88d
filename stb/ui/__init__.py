"""The TV user interface: pygame screens driven by named actions from the keymap."""
