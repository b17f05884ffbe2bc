"""Posts: the listings readers page through, a post's page, and saving posts."""
