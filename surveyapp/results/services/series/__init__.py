"""A survey's series across rounds: which figure of each earlier round continues each of
its figures (:mod:`.mapping`), and every round's figures side by side (:mod:`.trend`)."""
