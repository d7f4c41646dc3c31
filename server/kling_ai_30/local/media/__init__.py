"""The local backend's media files: intake and probing, synthesis, rendering."""
