"""Staff accounts: signing in and out, passwords."""
