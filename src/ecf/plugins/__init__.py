"""Plugins that ship with ecf, registered like any council's."""
