"""Backdrop stills painted from a text prompt (the local stand-in for an image model); start at `painter`."""
