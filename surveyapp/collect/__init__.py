"""Collecting answers: invitation and open links, the kiosk, officials' ratings, paper entry."""
