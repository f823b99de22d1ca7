"""People who sign in to the pages: accounts, roles per organization, sessions and sign-in throttling."""
