"""Portal de Autogestión: the self-service web portal of an Argentine electricity distributor."""
