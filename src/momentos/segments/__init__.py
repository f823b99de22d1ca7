"""Customer segments: named rules over customer attributes, and the filter they give the indicators."""
