"""Fieldwork: frames, samples, invitations, letters, mail, monitoring, officials' assignments."""
