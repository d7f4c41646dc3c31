"""The local stand-in for the cloud renderer: a draft in, an H.264/AAC MP4 out; start at `renderer`."""
