"""The stream relay: channels and the TV's live picture to other screens, each upstream read once."""
