"""WordPress: its export format (WXR), read and written, and its content turned into ours."""
