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
DESCONOCER = "/suministros/desconocer/[token]"  # "yo no autoricé esto", from the holder's e-mail (no login)
PERFIL = "/perfil"
TRAMITES = "/tramites"
NOTIFICACIONES = "/notificaciones"
OPERADOR = "/operador"
OPERADOR_ITEM = "/operador/item/[id]"
OPERADOR_AUDITORIA = "/operador/auditoria"
DEV_BANDEJA = "/dev/bandeja"
PAGO_DEMO = "/pagos/demo/[id]"  # the demo checkout (AUTOGESTION_PAYMENTS=demo): "Demostración — no se cobra nada"


def suministro(numero: str) -> str:
    return f"/suministros/{numero}"


def operador_item(item_id: int | str) -> str:
    return f"/operador/item/{item_id}"
