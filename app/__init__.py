"""Hembesök: scheduling for extended home-visit programs in Swedish child health care."""
