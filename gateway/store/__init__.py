"""Storage behind the session service: protocols, and the stores that implement them."""
