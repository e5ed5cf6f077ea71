"""Calendar subscription feeds and single-visit invitations (iCalendar)."""
