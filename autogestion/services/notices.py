"""Every e-mail and SMS the portal sends a customer, in one place: one function per notice.

Each e-mail function returns an `Email` (subject and body), each SMS function the text. The texts the
manual gives (the supply link e-mail) are word for word; the others follow its tone and footer. The
distributor's name comes from AUTOGESTION_BRAND. No notice carries a password or a session id; only the
verification-code notices carry a code, which the outbox redacts once delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autogestion.clock import format_local
from autogestion.config import get_settings


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def _brand() -> str:
    return get_settings().brand


def _footer() -> str:
    return f"Saludos Cordiales.\n{_brand()}\n\nPor favor, NO responda a este mensaje, es un envío automático."


def _email(subject: str, greeting_name: str, *paragraphs: str) -> Email:
    body = f"Estimado/a {greeting_name}:\n\n" + "\n\n".join(paragraphs) + "\n\n" + _footer()
    return Email(subject=subject, body=body)


# --- verification codes ---------------------------------------------------------------------------

CODE_REASON_REGISTRATION = "Para completar tu registro en el Portal de Autogestión ingresá este código en la página."
CODE_REASON_RECOVERY = (
    "Pediste recuperar tu contraseña del Portal de Autogestión. Ingresá este código para elegir una nueva."
)
CODE_REASON_CHANGE_EMAIL = "Pediste cambiar el e-mail de tu cuenta del Portal de Autogestión a esta dirección."


def code_email(*, first_names: str, code: str, reason: str) -> Email:
    """A 6-digit code by e-mail (registration, recovery, e-mail change)."""
    return Email(
        subject=f"Tu código de verificación: {code}",
        body=(
            f"Hola {first_names}:\n\n{reason}\n\nTu código de verificación es: {code}\n\n"
            "Vence en 10 minutos. Si no fuiste vos, ignorá este mensaje: nadie de la distribuidora te lo va a pedir.\n\n"
            + _footer()
        ),
    )


def code_sms(*, code: str) -> str:
    """A 6-digit code by SMS."""
    return f"{_brand()}: tu código de verificación es {code}. Vence en 10 minutos. No lo compartas."


# --- account --------------------------------------------------------------------------------------


def welcome(*, name: str, when: datetime) -> Email:
    """The manual's "alta de usuario en el Portal de Autogestión"."""
    return _email(
        "Alta de usuario en el Portal de Autogestión",
        name,
        f"El día {format_local(when)} se completó el alta de usuario en el Portal de Autogestión de {_brand()}.",
        "Ya podés ingresar con tu documento y contraseña para asociar tus suministros y consultar, imprimir y "
        "pagar tus facturas las 24 horas.",
    )


def account_locked(*, name: str, when: datetime, failures: int, minutes: int) -> Email:
    """Too many wrong passwords (at login or in Mi Perfil): the account is locked for a while."""
    return _email(
        f"Bloqueamos el ingreso a tu cuenta por {minutes} minutos",
        name,
        f"El día {format_local(when)} hubo {failures} intentos fallidos de ingreso con tu documento, así que "
        f"bloqueamos el ingreso por {minutes} minutos y cerramos las sesiones abiertas.",
        "Si no fuiste vos, te recomendamos cambiar tu contraseña desde «¿Se te olvidó tu contraseña?».",
    )


def password_recovered(*, name: str, when: datetime) -> Email:
    return _email(
        "Cambiaste tu contraseña del Portal de Autogestión",
        name,
        f"El día {format_local(when)} se cambió la contraseña de tu cuenta y se cerraron todas las sesiones abiertas.",
        "Si no fuiste vos, comunicate con nuestro centro de atención.",
    )


def password_changed(*, name: str, when: datetime) -> Email:
    return _email(
        "Cambiaste tu contraseña del Portal de Autogestión",
        name,
        f"El día {format_local(when)} se cambió la contraseña de tu cuenta y se cerraron las demás sesiones abiertas.",
        "Si no fuiste vos, comunicate con nuestro centro de atención.",
    )


def password_changed_sms() -> str:
    return f"{_brand()}: se cambió la contraseña de tu cuenta. Si no fuiste vos, llamanos."


def email_change_requested(*, name: str, when: datetime, new_masked: str) -> Email:
    """To the current address: someone asked to move the account to another one."""
    return _email(
        "Pedido de cambio de e-mail",
        name,
        f"El día {format_local(when)} se pidió cambiar el e-mail de tu cuenta a {new_masked}. Tu e-mail actual "
        "sigue valiendo hasta que se verifique el nuevo.",
        "Si no fuiste vos, cambiá tu contraseña.",
    )


def phone_change_requested_sms(*, new_masked: str) -> str:
    return (
        f"{_brand()}: se pidió cambiar el celular de tu cuenta a {new_masked}. Si no fuiste vos, cambiá tu contraseña."
    )


def contact_changed(*, name: str, when: datetime, what: str) -> Email:
    """The e-mail ("e-mail") or mobile ("celular") of the account changed."""
    return _email(
        f"Cambiaste tu {what}",
        name,
        f"El día {format_local(when)} se cambió el {what} de tu cuenta del Portal de Autogestión.",
        "Si no fuiste vos, comunicate con nuestro centro de atención.",
    )


def phone_changed_sms() -> str:
    return f"{_brand()}: se cambió el celular de tu cuenta."


# --- supplies -------------------------------------------------------------------------------------


def supply_linked(*, name: str, when: datetime, number: str) -> Email:
    """The manual's e-mail after "SI" in Asociar Suministro, word for word."""
    return _email(
        f"Asociación del Suministro N° {number}",
        name,
        f"El día {format_local(when)} Ud. ha asociado al Suministro {number} a su cuenta de usuario registrado en "
        "nuestro portal, y está habilitado para consultar, imprimir y pagar sus facturas.",
        "Validado el DNI del titular por nuestros operadores, será habilitado en las próximas 24 horas hábiles para "
        "suscribir Planes de Pago de manera on-line en nuestro Portal de Autogestión. Dicha habilitación le será "
        "comunicada via SMS a su teléfono celular y correo electrónico.",
    )


def supply_linked_by_other(*, name: str, when: datetime, number: str, linker_masked: str, dispute_url: str) -> Email:
    """To the holder, when someone else linked their supply as apoderado; dispute_url is "yo no autoricé esto"."""
    return _email(
        f"Su Suministro N° {number} fue asociado a otra cuenta",
        name,
        f"El día {format_local(when)} el usuario registrado {linker_masked} asoció el Suministro {number}, del que "
        "Ud. es titular, a su cuenta como apoderado, presentando un poder. Nuestros operadores revisarán el poder "
        "antes de habilitarlo para realizar trámites comerciales sobre el suministro.",
        f"Si Ud. no otorgó ese poder, avísenos desde este enlace (válido por 30 días) y lo revisaremos con "
        f"prioridad:\n{dispute_url}",
        "También puede comunicarse con nuestra oficina comercial.",
    )


def supply_link_attempts(*, name: str, when: datetime, number: str, days: int) -> Email:
    """To the holder, when wrong answers about their supply's invoices locked linking it for everyone."""
    return _email(
        f"Intentos de asociar su Suministro N° {number}",
        name,
        f"El día {format_local(when)} se registraron varios intentos fallidos de asociar el Suministro {number}, del "
        "que Ud. es titular, a cuentas del Portal de Autogestión, respondiendo mal sobre sus facturas.",
        f"Por seguridad bloqueamos la asociación de ese suministro durante {days} días. Si fue Ud., podrá "
        "intentarlo de nuevo después; si no, no hace falta que haga nada. Ante cualquier duda, comuníquese con "
        "nuestra oficina comercial.",
    )


# --- operator review ------------------------------------------------------------------------------


def link_validated(*, name: str, when: datetime, number: str) -> Email:
    """The manual's "habilitación": the link was validated, Planes de Pago are open."""
    return _email(
        f"Suministro N° {number}: ya podés suscribir Planes de Pago",
        name,
        f"El día {format_local(when)} nuestros operadores validaron la asociación del Suministro {number} a su "
        "cuenta. Ya está habilitado para suscribir Planes de Pago y realizar otros trámites comerciales de manera "
        "on-line en nuestro Portal de Autogestión.",
    )


def link_validated_sms(*, number: str) -> str:
    return (
        f"{_brand()}: validamos la asociación del suministro {number}. Ya podés suscribir Planes de Pago en el portal."
    )


def link_rejected(*, name: str, when: datetime, number: str, reason: str) -> Email:
    return _email(
        f"Suministro N° {number}: no pudimos validar la asociación",
        name,
        f"El día {format_local(when)} nuestros operadores revisaron la asociación del Suministro {number} a su "
        f"cuenta y no pudieron validarla. Motivo: {reason}",
        "Desde «Mis Suministros» en el Portal de Autogestión puede subir un poder nuevo para que lo revisemos otra vez.",
    )


def link_rejected_sms(*, number: str) -> str:
    return f"{_brand()}: no pudimos validar la asociación del suministro {number}. Mirá el motivo en Mis Suministros."


def dni_legible(*, name: str) -> Email:
    return _email(
        "Validamos la foto de tu DNI",
        name,
        "Nuestros operadores analizaron la foto del frente de su DNI y la encontraron LEGIBLE.",
    )


def dni_legible_sms() -> str:
    return f"{_brand()}: validamos la foto de tu DNI (LEGIBLE)."


def dni_not_legible(*, name: str, reason: str) -> Email:
    return _email(
        "La foto de tu DNI no es legible",
        name,
        f"Nuestros operadores analizaron la foto del frente de su DNI y la encontraron NO LEGIBLE. {reason}",
        "Al ingresar al Portal de Autogestión le pediremos, en «Mi Perfil», una foto nueva y LEGIBLE del FRENTE de "
        "su DNI.",
    )


def dni_not_legible_sms() -> str:
    return f"{_brand()}: la foto de tu DNI no es legible. Ingresá al portal y cargá una nueva desde Mi Perfil."


def dispute_received(*, name: str, when: datetime, number: str) -> Email:
    """To the holder who said they did not authorise a link of their supply."""
    return _email(
        f"Recibimos su aviso sobre el Suministro N° {number}",
        name,
        f"El día {format_local(when)} recibimos su aviso de que no autorizó la asociación del Suministro {number} a "
        "otra cuenta. Nuestros operadores la revisarán con prioridad y le informaremos lo que resuelvan.",
    )


# --- plans ----------------------------------------------------------------------------------------


def plan_subscribed(
    *, name: str, when: datetime, number: str, installments: int, total: str, first_due: str, invoices: str
) -> Email:
    """A Plan de Pago was subscribed in the portal."""
    cuotas = "1 cuota" if installments == 1 else f"{installments} cuotas"
    return _email(
        f"Suministro N° {number}: suscribiste un Plan de Pago de {cuotas}",
        name,
        f"El día {format_local(when)} suscribió en nuestro Portal de Autogestión un Plan de Pago de {cuotas} por "
        f"un total de {total} para el Suministro {number}. Facturas incluidas: {invoices}.",
        f"La primera cuota vence el {first_due}. Puede ver y pagar sus cuotas en «Trámites Comerciales».",
    )


def digital_invoice_changed(*, name: str, when: datetime, number: str, enabled: bool) -> Email:
    """Adhesión (or baja) a la factura digital of a supply."""
    if enabled:
        return _email(
            f"Suministro N° {number}: adhesión a factura digital",
            name,
            f"El día {format_local(when)} adhirió el Suministro {number} a la factura digital: desde el próximo "
            "período recibirá su factura por e-mail y podrá verla en el Portal de Autogestión.",
        )
    return _email(
        f"Suministro N° {number}: baja de la factura digital",
        name,
        f"El día {format_local(when)} dio de baja la factura digital del Suministro {number}: desde el próximo "
        "período recibirá su factura impresa en el domicilio del suministro.",
    )


# --- payments -------------------------------------------------------------------------------------


def payment_received(
    *, name: str, when: datetime, what: str, amount: str, reference: str, installment: bool = False
) -> Email:
    """The receipt of a payment made through the portal (an invoice, or a plan's cuota, which is paid at once)."""
    return _email(
        f"Recibimos tu pago de {amount}",
        name,
        f"El día {format_local(when)} recibimos el pago de {what} por {amount} desde el Portal de Autogestión "
        f"(comprobante N° {reference}).",
        "La cuota ya figura como pagada en Trámites Comerciales. No hace falta que hagas nada más."
        if installment
        else "Hasta que se registre en nuestro sistema comercial lo vas a ver en el portal como «Pago en "
        "acreditación». No hace falta que hagas nada más.",
    )
