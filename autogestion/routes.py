"""Every route of the portal in one place, and builders for the parametrised ones."""

INDEX = "/"
LOGIN = "/login"
REGISTRO = "/registro"
REGISTRO_DATOS = "/registro/datos"
REGISTRO_CODIGO = "/registro/codigo"
RECUPERAR = "/recuperar"
SUMINISTROS = "/suministros"
ASOCIAR = "/suministros/asociar"
SUMINISTRO_DETALLE = "/suministros/[numero]"
PERFIL = "/perfil"
TRAMITES = "/tramites"
NOTIFICACIONES = "/notificaciones"
DEV_BANDEJA = "/dev/bandeja"


def suministro(numero: str) -> str:
    return f"/suministros/{numero}"
