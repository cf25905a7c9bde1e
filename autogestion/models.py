"""SQLModel tables and the *Public DTOs that state vars may hold (never table rows).

All datetimes are timezone-aware UTC (see autogestion.clock); money is stored as integer cents.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def new_id() -> str:
    return uuid.uuid4().hex


# --- accounts -------------------------------------------------------------------------------------

DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    # code stored in the database: (short label for tables and notices, label of the select)
    "DNI": ("DNI", "DNI"),
    "LE": ("LE", "Libreta de Enrolamiento"),
    "LC": ("LC", "Libreta Cívica"),
    "CI": ("CI", "Cédula de Identidad"),
    "PAS": ("Pasaporte", "Pasaporte"),
    "CUIT": ("CUIT/CUIL", "CUIT/CUIL"),
}
"""The document types accounts and supplies use, in the order the select shows them."""


class UserStatus(StrEnum):
    PENDING_DATA = "pending_data"  # step 1 done: document + password
    PENDING_CODES = "pending_codes"  # step 2 done: contact data, codes sent
    ACTIVE = "active"
    DISABLED = "disabled"


class DniStatus(StrEnum):
    NONE = "none"
    IN_REVIEW = "en_analisis"
    LEGIBLE = "legible"
    NOT_LEGIBLE = "no_legible"


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("doc_type", "doc_number", name="uq_users_document"),)

    id: int | None = Field(default=None, primary_key=True)
    doc_type: str = Field(max_length=12)
    doc_number: str = Field(max_length=16)
    password_hash: str = Field(max_length=100)
    first_names: str = Field(default="", max_length=60)
    last_names: str = Field(default="", max_length=60)
    email: str | None = Field(default=None, max_length=254)
    email_norm: str | None = Field(default=None, max_length=254, unique=True)
    phone_e164: str | None = Field(default=None, max_length=16, unique=True)
    status: str = Field(default=UserStatus.PENDING_DATA, max_length=16, index=True)
    created_at: datetime
    activated_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    dni_status: str = Field(default=DniStatus.NONE, max_length=16)
    dni_document_id: str | None = Field(default=None, max_length=32)


class CodePurpose(StrEnum):
    REGISTRATION = "registration"
    CHANGE_EMAIL = "change_email"
    CHANGE_PHONE = "change_phone"
    RECOVERY = "recovery"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class VerificationCode(SQLModel, table=True):
    __tablename__ = "verification_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=20)
    channel: str = Field(max_length=8)
    destination: str = Field(max_length=254, index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None
    invalidated_at: datetime | None = None


class SessionKind(StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(index=True)
    kind: str = Field(default="customer", max_length=10)  # customer | operator
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None


class LoginClaim(SQLModel, table=True):
    """A login waiting for its browser to fetch the HttpOnly session cookie (60 s, single use).

    The session token itself is minted only when the claim is redeemed over HTTP, so it never travels
    in a websocket message.
    """

    __tablename__ = "login_claims"

    id: int | None = Field(default=None, primary_key=True)
    client_hash: str = Field(max_length=64, index=True)
    nonce_hash: str = Field(default="", max_length=64)
    user_id: int
    kind: str = Field(default="customer", max_length=10)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class Captcha(SQLModel, table=True):
    __tablename__ = "captchas"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    answer_hash: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class RateEvent(SQLModel, table=True):
    """One counted attempt for a throttle key (per client, per destination)."""

    __tablename__ = "rate_events"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, index=True)
    at: datetime = Field(index=True)


# --- notifications --------------------------------------------------------------------------------


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ABANDONED = "abandoned"


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the change it reports; the worker delivers it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=8)  # email | sms
    recipient: str = Field(max_length=254)
    subject: str = Field(default="", max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    user_id: int | None = Field(default=None, index=True)
    message_id: str = Field(default_factory=new_id, max_length=64, unique=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=10, index=True)
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime = Field(index=True)
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    read_at: datetime | None = None


# --- billing (imported from the distributor's commercial system) ----------------------------------


class Supply(SQLModel, table=True):
    __tablename__ = "supplies"

    number: str = Field(primary_key=True, max_length=12)
    status: str = Field(default="", max_length=20)
    tariff_group: str = Field(default="", max_length=40)
    holder_name: str = Field(default="", max_length=120)
    holder_doc_type: str = Field(default="DNI", max_length=12)
    holder_doc_number: str = Field(default="", max_length=16)
    collection_status: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=200)


class InvoiceStatus(StrEnum):
    PAID = "pagada"
    UNPAID = "impaga"


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    supply_number: str = Field(foreign_key="supplies.number", index=True, max_length=12)
    number: str = Field(unique=True, max_length=20)
    period: str = Field(max_length=7)  # aaaa-mm
    issued_on: date
    due_on: date
    amount_cents: int
    status: str = Field(max_length=10)
    consumption_kwh: int = 0


# --- links and documents --------------------------------------------------------------------------


class DocumentKind(StrEnum):
    DNI = "dni"
    PODER = "poder"


class DocumentStatus(StrEnum):
    IN_REVIEW = "en_analisis"
    ACCEPTED = "aceptado"  # DNI legible / poder válido
    REJECTED = "rechazado"  # DNI no legible / poder rechazado


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: int = Field(index=True)
    kind: str = Field(max_length=8)
    storage_name: str = Field(max_length=64)
    original_name: str = Field(default="", max_length=255)
    content_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    status: str = Field(default=DocumentStatus.IN_REVIEW, max_length=12)
    created_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by: int | None = None
    reject_reason: str = Field(default="", max_length=300)


class LinkStatus(StrEnum):
    PENDING = "pendiente"
    VALIDATED = "validado"
    REJECTED = "rechazado"


class SupplyLink(SQLModel, table=True):
    __tablename__ = "supply_links"
    __table_args__ = (UniqueConstraint("user_id", "supply_number", name="uq_links_user_supply"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    supply_number: str = Field(foreign_key="supplies.number", index=True, max_length=12)
    is_holder: bool
    status: str = Field(default=LinkStatus.PENDING, max_length=12)
    dni_document_id: str | None = Field(default=None, max_length=32)
    poder_document_id: str | None = Field(default=None, max_length=32)
    created_at: datetime
    validated_at: datetime | None = None
    reject_reason: str = Field(default="", max_length=24)  # a RejectReason when status is rechazado
    disputed_at: datetime | None = None  # the holder said "yo no autoricé esto"
    digital_invoice: bool = False  # "Adhesión a factura digital"


# --- operator review ------------------------------------------------------------------------------


class ReviewKind(StrEnum):
    DNI = "dni"  # a photo of the front of a DNI: LEGIBLE / NO LEGIBLE
    PODER = "poder"  # a power of attorney: VÁLIDO / RECHAZADO
    LINK = "link"  # a link its holder disputed: MANTENER / RECHAZADO


class ReviewStatus(StrEnum):
    PENDING = "pendiente"
    RESOLVED = "resuelto"


class Decision(StrEnum):
    LEGIBLE = "legible"
    NOT_LEGIBLE = "no_legible"
    VALID = "valido"
    REJECTED = "rechazado"
    KEEP = "mantener"


class RejectReason(StrEnum):
    NO_LEGIBLE = "NO_LEGIBLE"
    NO_COINCIDE_TITULAR = "NO_COINCIDE_TITULAR"
    PODER_INSUFICIENTE = "PODER_INSUFICIENTE"
    PODER_VENCIDO = "PODER_VENCIDO"
    DOC_INCOMPLETO = "DOC_INCOMPLETO"


class ReviewItem(SQLModel, table=True):
    """Something an operator must decide within 24 business hours: a document, or a disputed link."""

    __tablename__ = "review_items"
    # The queue's order (disputed first, then the oldest deadline), with and without a kind filter.
    __table_args__ = (
        Index("ix_review_queue", "status", text("priority DESC"), "deadline_at"),
        Index("ix_review_kind_queue", "status", "kind", text("priority DESC"), "deadline_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    user_id: int = Field(index=True)
    document_id: str | None = Field(default=None, max_length=32, index=True)
    link_id: int | None = Field(default=None, index=True)
    supply_number: str = Field(default="", max_length=12, index=True)  # for the search box
    doc_number: str = Field(default="", max_length=16, index=True)  # the customer's document, likewise
    submitted_at: datetime
    deadline_at: datetime
    priority: int = 0  # 1 for a disputed link: it goes to the top of the queue
    status: str = Field(default=ReviewStatus.PENDING, max_length=10)
    reserved_by: int | None = None
    reserved_until: datetime | None = None
    decided_by: int | None = None
    decided_at: datetime | None = Field(default=None, index=True)
    decision: str = Field(default="", max_length=12)
    reason: str = Field(default="", max_length=24)


class AuditEntry(SQLModel, table=True):
    """Who did what to which review item, and when (views included)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    operator_id: int = Field(index=True)
    action: str = Field(max_length=20)  # ver | decidir | levantar_bloqueo
    item_id: int | None = Field(default=None, index=True)
    subject: str = Field(default="", max_length=80)
    decision: str = Field(default="", max_length=12)
    reason: str = Field(default="", max_length=300)
    before: str = Field(default="", max_length=40)
    after: str = Field(default="", max_length=40)


# --- payments and payment plans -----------------------------------------------------------------


class PaymentStatus(StrEnum):
    PENDING = "pendiente"  # created, the customer is at the provider's checkout
    APPROVED = "aprobado"  # the provider confirmed it: the invoice is "Pago en acreditación"
    REJECTED = "rechazado"


class Payment(SQLModel, table=True):
    """One attempt to pay an invoice or a plan's cuota through a payment provider."""

    __tablename__ = "payments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)  # our reference at the provider
    user_id: int = Field(index=True)
    invoice_id: str | None = Field(default=None, max_length=32, index=True)
    installment_id: int | None = Field(default=None, index=True)
    provider: str = Field(max_length=16)  # demo | mercadopago
    external_id: str = Field(default="", max_length=64, index=True)  # the provider's payment id
    status: str = Field(default=PaymentStatus.PENDING, max_length=12)
    amount_cents: int
    created_at: datetime
    updated_at: datetime


class PlanStatus(StrEnum):
    ACTIVE = "activo"
    FINISHED = "finalizado"


class PaymentPlan(SQLModel, table=True):
    """A Plan de Pago a customer subscribed for overdue invoices of a validated link."""

    __tablename__ = "payment_plans"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    supply_number: str = Field(max_length=12, index=True)
    installments: int
    monthly_rate_bp: int
    principal_cents: int
    total_cents: int
    status: str = Field(default=PlanStatus.ACTIVE, max_length=12)
    created_at: datetime


class PlanInvoice(SQLModel, table=True):
    """An invoice included in a plan: an invoice is in one plan at most."""

    __tablename__ = "plan_invoices"

    invoice_id: str = Field(primary_key=True, max_length=32)
    plan_id: int = Field(index=True)


class PlanInstallment(SQLModel, table=True):
    """One cuota of a plan: paid like an invoice."""

    __tablename__ = "plan_installments"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_installment_plan_number"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(index=True)
    number: int
    due_on: date
    amount_cents: int
    paid_at: datetime | None = None


class QuizChallenge(SQLModel, table=True):
    """The proof-of-knowledge options shown to one user for one supply; stable for 24 h."""

    __tablename__ = "quiz_challenges"
    __table_args__ = (UniqueConstraint("user_id", "supply_number", name="uq_quiz_user_supply"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    supply_number: str = Field(max_length=12)
    options_json: str = Field(sa_column=Column(Text, nullable=False))
    correct_index: int
    created_at: datetime
    wrong_attempts: int = 0
    locked_until: datetime | None = None
    passed_at: datetime | None = None


# --- operators ------------------------------------------------------------------------------------


class OperatorRole(StrEnum):
    OPERADOR = "operador"  # reviews documents and links
    SUPERVISOR = "supervisor"  # everything an operador does, plus what DESIGN.md reserves for supervisors


class Operator(SQLModel, table=True):
    """A person of the distributor working the back office (`/operador`); never a row of `users`.

    Created with `autogestion create-operator`; logs in with username and password (same policy, bcrypt
    and lockout as customers) into an operator session (`AuthSession.kind == "operator"`, cookie `ag_op`).
    """

    __tablename__ = "operators"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True)  # 3-32 of [a-z0-9._-] (operators.normalize_username)
    full_name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=100)
    role: str = Field(default=OperatorRole.OPERADOR, max_length=12)
    active: bool = True
    created_at: datetime
    failed_logins: int = 0
    locked_until: datetime | None = None


# --- DTOs held in state vars ----------------------------------------------------------------------


class UserPublic(BaseModel):
    id: int
    doc_type: str
    doc_number: str
    first_names: str
    last_names: str
    email: str
    phone_e164: str
    dni_status: str

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_names}".strip()

    @classmethod
    def from_user(cls, user: User) -> UserPublic:
        return cls(
            id=user.id or 0,
            doc_type=user.doc_type,
            doc_number=user.doc_number,
            first_names=user.first_names,
            last_names=user.last_names,
            email=user.email or "",
            phone_e164=user.phone_e164 or "",
            dni_status=user.dni_status,
        )


class ViewerPublic(BaseModel):
    """Who is behind a live customer session, with what every page needs (resolved in one query)."""

    user_id: int = 0
    status: str = ""
    dni_status: str = ""
    full_name: str = ""
    unread: int = 0


class OperatorPublic(BaseModel):
    """An operator as the back office shows it (no hash, no counters)."""

    id: int = 0
    username: str = ""
    full_name: str = ""
    role: str = ""  # OperatorRole.*
    is_supervisor: bool = False

    @classmethod
    def from_operator(cls, operator: Operator) -> OperatorPublic:
        return cls(
            id=operator.id or 0,
            username=operator.username,
            full_name=operator.full_name,
            role=operator.role,
            is_supervisor=operator.role == OperatorRole.SUPERVISOR,
        )


class ProfilePublic(BaseModel):
    """Mi Perfil: own data, pending contact changes (masked) and the DNI photo's review state."""

    full_name: str = ""
    document: str = ""  # "DNI 20123456"
    email: str = ""
    phone: str = ""  # as written in Argentina
    dni_status: str = DniStatus.NONE
    dni_on_file: bool = False
    pending_email: str = ""
    pending_phone: str = ""
    dni_review_deadline: str = ""  # En análisis: "dd/mm/aaaa hh:mm" by which an operator reviews the photo


class NotificationPublic(BaseModel):
    """One e-mail or SMS the portal sent, as Notificaciones shows it (codes redacted)."""

    when: str = ""
    channel: str = ""
    title: str = ""
    text: str = ""
    unread: bool = False


# --- supplies, quiz, invoices and documents (DTOs) ------------------------------------------------


class InvoicePublicStatus(StrEnum):
    """An invoice's status as pages and the PDF show it: the stored one, or "vencida" when unpaid past its due date."""

    PAID = InvoiceStatus.PAID
    UNPAID = InvoiceStatus.UNPAID
    OVERDUE = "vencida"
    CREDITING = "en_acreditacion"  # paid through the portal, until the next billing import says pagada
    IN_PLAN = "en_plan"  # included in a Plan de Pago


class LinkPublic(BaseModel):
    """One row of Mis Suministros (the manual's columns plus the link's validation state)."""

    position: int = 0  # the "N°" column, 1-based
    number: str = ""
    status: str = ""
    tariff_group: str = ""
    holder_name: str = ""
    holder_doc_type: str = ""
    holder_doc_number: str = ""  # masked for an apoderado until the link is validated
    holder_document: str = ""  # "DNI 20123456"
    collection_status: str = ""
    poder: str = ""  # "Titular" or "Poder"
    is_holder: bool = False
    link_status: str = ""  # LinkStatus.*
    link_status_label: str = ""  # Pendiente de validación | Validado | Rechazado
    linked_at: str = ""  # dd/mm/aaaa
    reject_reason: str = ""  # a RejectReason when the link is rechazado
    reject_reason_text: str = ""  # what the customer reads for it (review.REASON_TEXTS)
    review_deadline: str = ""  # pending: "dd/mm/aaaa hh:mm" by which its documents are reviewed ("" if none queued)
    dni_unreadable: bool = False  # pending, and its DNI photo was judged NO LEGIBLE: a new one goes in Mi Perfil
    can_replace_poder: bool = False  # an apoderado's pending or rejected link: "Subir un poder nuevo"


class QuizOptionPublic(BaseModel):
    """One choice of the proof of knowledge; which one is right is never part of it."""

    id: int = 0  # 0..3, what answer_quiz expects back
    label: str = ""  # "$ 12.345,67 — vence 10/11/2026"
    amount: str = ""
    due_on: str = ""


class QuizPublic(BaseModel):
    """What Asociar Suministro shows after the number: the options, or why the quiz cannot be taken."""

    supply_number: str = ""
    options: list[QuizOptionPublic] = []
    attempts_left: int = 0  # wrong answers this account may still give for the supply (1, or 0 when locked)
    locked: bool = False  # no answer is taken now; `message` says why and for how long
    message: str = ""
    passed: bool = False  # already passed within the last 24 h: go on to the documents
    needs_poder: bool = False  # meaningful once passed: the user is not the holder


class QuizAnswerPublic(BaseModel):
    """The outcome of one answer."""

    right: bool = False
    attempts_left: int = 0
    locked: bool = False
    message: str = ""  # why it was wrong or locked (empty when right)
    needs_poder: bool = False  # meaningful when right: the user is not the holder


class SupplyDetailPublic(BaseModel):
    """Header of a supply's invoices page."""

    number: str = ""
    status: str = ""
    tariff_group: str = ""
    holder_name: str = ""
    holder_document: str = ""
    collection_status: str = ""
    address: str = ""
    is_holder: bool = False
    poder: str = ""
    link_status: str = ""
    link_status_label: str = ""
    linked_at: str = ""
    procedures_enabled: bool = False  # Planes de Pago and other trámites: only once an operator validated the link
    rejected: bool = False  # an operator rejected the link: the invoices stay closed, the page says how to fix it
    reject_reason_text: str = ""
    can_replace_poder: bool = False  # "Subir un poder nuevo" (an apoderado's rejected link)
    review_deadline: str = ""  # pending: "dd/mm/aaaa hh:mm" by which its documents are reviewed


class InvoicePublic(BaseModel):
    """One invoice as the invoices table shows it."""

    id: str = ""
    period: str = ""  # "11/2026"
    number: str = ""
    issued_on: str = ""  # dd/mm/aaaa
    due_on: str = ""
    amount: str = ""  # "$ 12.345,67"
    amount_cents: int = 0
    consumption_kwh: int = 0
    status: str = ""  # InvoicePublicStatus.*
    status_label: str = ""  # Pagada | Impaga | Vencida
    payable: bool = False


class InvoicePagePublic(BaseModel):
    """A page of a supply's invoices, newest first."""

    supply_number: str = ""
    rows: list[InvoicePublic] = []
    page: int = 1
    page_size: int = 12
    total_pages: int = 1
    total_rows: int = 0


class ConsumptionPointPublic(BaseModel):
    """kWh billed in one period, for the consumption chart."""

    period: str = ""  # "11/2026"
    kwh: int = 0


class SupplyPagePublic(BaseModel):
    """Everything /suministros/<numero> shows when it opens: header, first page of invoices, consumption."""

    detail: SupplyDetailPublic = SupplyDetailPublic()
    invoices: InvoicePagePublic = InvoicePagePublic()
    consumption: list[ConsumptionPointPublic] = []  # oldest first


class InvoiceDownloadPublic(BaseModel):
    """What **Imprimir** needs to start the download of an invoice's PDF duplicate."""

    invoice_id: str = ""
    filename: str = ""  # "factura-0012-00345678.pdf"


class DocumentPublic(BaseModel):
    """An uploaded document as pages may show it (no storage path, no hash)."""

    id: str = ""
    kind: str = ""  # DocumentKind.*
    content_type: str = ""
    size: int = 0
    original_name: str = ""
    status: str = ""  # DocumentStatus.*
    status_label: str = ""  # DNI: En análisis | LEGIBLE | NO LEGIBLE; poder: En análisis | Válido | Rechazado
    uploaded_at: str = ""  # dd/mm/aaaa hh:mm:ss, Argentine time


# --- operator review (DTOs) -----------------------------------------------------------------------


class QueueRowPublic(BaseModel):
    """One line of the operator's queue."""

    id: int = 0
    kind: str = ""
    kind_label: str = ""
    customer_name: str = ""
    customer_document: str = ""
    supply_number: str = ""
    submitted_at: str = ""  # dd/mm/aaaa hh:mm, Argentine time
    deadline_at: str = ""
    time_left: str = ""  # "faltan 5 h hábiles" / "vencido hace 2 h hábiles"
    urgency: str = ""  # en_plazo | proximo | vencido ("" once resolved)
    disputed: bool = False
    reserved_by: str = ""  # the operator holding it now, if any
    status: str = ""
    decision_label: str = ""
    decided_by: str = ""


class QueueCountersPublic(BaseModel):
    pending: int = 0
    overdue: int = 0
    resolved_today: int = 0
    median_resolution: str = ""


class QueuePagePublic(BaseModel):
    rows: list[QueueRowPublic] = []
    counters: QueueCountersPublic = QueueCountersPublic()
    page: int = 1
    total_pages: int = 1
    total_rows: int = 0


class ReviewLinkPublic(BaseModel):
    """A link an item concerns, with the supply holder's data to compare with the customer's."""

    supply_number: str = ""
    holder_name: str = ""
    holder_document: str = ""
    address: str = ""
    is_holder: bool = False
    link_status: str = ""
    disputed: bool = False


class ReviewItemPublic(BaseModel):
    """An item opened by an operator."""

    id: int = 0
    kind: str = ""
    kind_label: str = ""
    status: str = ""
    customer_name: str = ""
    customer_document: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    document_id: str = ""  # the state signs an operator link for it; never a path
    document_is_image: bool = False
    document_uploaded_at: str = ""
    links: list[ReviewLinkPublic] = []
    submitted_at: str = ""
    deadline_at: str = ""
    time_left: str = ""
    urgency: str = ""
    disputed: bool = False
    reserved_by: str = ""
    reserved_by_me: bool = False
    can_decide: bool = False
    decisions: list[tuple[str, str]] = []  # (value, label)
    reasons: list[tuple[str, str]] = []
    decision_label: str = ""
    reason_label: str = ""
    decided_by: str = ""
    decided_at: str = ""


class AuditRowPublic(BaseModel):
    at: str = ""
    operator: str = ""
    action: str = ""
    item_id: int = 0
    subject: str = ""
    decision: str = ""
    reason: str = ""
    change: str = ""


class AuditPagePublic(BaseModel):
    rows: list[AuditRowPublic] = []
    page: int = 1
    total_pages: int = 1


class TeamFigurePublic(BaseModel):
    operator: str = ""
    today: int = 0
    week: int = 0
    median: str = ""


# --- "yo no autoricé esto" (DTO) ------------------------------------------------------------------


class DisputePublic(BaseModel):
    """What /suministros/desconocer/<token> shows the holder of a supply someone else linked."""

    supply_number: str = ""
    linker_masked: str = ""  # "Ju** Pe***": who linked it, partly hidden
    linked_at: str = ""  # dd/mm/aaaa
    received: bool = False  # the holder's notice is recorded (now or on an earlier visit)
    already_received: bool = False  # it had been recorded before this visit
    received_at: str = ""  # dd/mm/aaaa hh:mm of the notice, once recorded


# --- Trámites: payment plans and factura digital (DTOs) -------------------------------------------


class CuotaPublic(BaseModel):
    """One cuota of a plan, simulated or subscribed."""

    id: int = 0  # a subscribed cuota's id (what "Pagar" sends); 0 in a simulation
    number: int = 0
    due_on: str = ""  # dd/mm/aaaa
    amount: str = ""  # "$ 12.345,67"
    amount_cents: int = 0
    paid: bool = False
    status_label: str = ""  # Pagada | Pago en acreditación | Impaga | Vencida ("" in a simulation)
    can_pay: bool = False  # subscribed, not paid, no approved payment


class PlanOptionPublic(BaseModel):
    """A plan of N cuotas for an amount: its schedule and total (the simulator and the form's preview)."""

    installments: int = 0
    cuotas: list[CuotaPublic] = []
    principal: str = ""
    total: str = ""
    total_cents: int = 0
    label: str = ""  # "3 cuotas de $ 1.234,56"


class PlanInvoiceChoicePublic(BaseModel):
    """An overdue invoice that can go into a plan."""

    id: str = ""
    number: str = ""
    period: str = ""  # "Octubre 2026"
    due_on: str = ""
    amount: str = ""
    amount_cents: int = 0


class PlanPublic(BaseModel):
    """A subscribed Plan de Pago, with its cuotas."""

    id: int = 0
    supply_number: str = ""
    installments: int = 0
    principal: str = ""
    total: str = ""
    rate: str = ""  # "2,5 % mensual"
    created_at: str = ""  # dd/mm/aaaa hh:mm
    status: str = ""  # PlanStatus.*
    status_label: str = ""  # Activo | Finalizado
    invoice_ids: list[str] = []
    invoice_numbers: list[str] = []
    cuotas: list[CuotaPublic] = []


class ProcedureLinkPublic(BaseModel):
    """One linked supply on Trámites Comerciales, with what the customer can do with it."""

    number: str = ""
    holder_name: str = ""
    link_status: str = ""  # LinkStatus.*
    link_status_label: str = ""
    review_deadline: str = ""  # pending: "dd/mm/aaaa hh:mm" ("" if nothing is queued)
    reject_reason_text: str = ""  # rejected: why
    can_replace_poder: bool = False
    digital_invoice: bool = False
    can_set_digital_invoice: bool = False  # validated or pending
    can_subscribe: bool = False  # validated
    debt: str = ""  # what the overdue invoices not in a plan add up to
    debt_cents: int = 0
    invoices: list[PlanInvoiceChoicePublic] = []  # overdue, unpaid, not in a plan
    simulator: list[PlanOptionPublic] = []  # pending: the plans it will be able to choose (1, 3, 6, 12 cuotas)


class TramitesPagePublic(BaseModel):
    """Everything /tramites shows."""

    links: list[ProcedureLinkPublic] = []
    plans: list[PlanPublic] = []
    rate: str = ""  # "2,5 % mensual"
    first_due: str = ""  # dd/mm/aaaa of a plan subscribed today


# --- payments (DTOs) ------------------------------------------------------------------------------


class PaymentStartPublic(BaseModel):
    """Where **Pagar** sends the customer: the provider's checkout (or the demo page of the portal)."""

    payment_id: str = ""
    redirect_url: str = ""


class DemoCheckoutPublic(BaseModel):
    """The demo checkout page (/pagos/demo/<id>): what is being paid and how it ended."""

    payment_id: str = ""
    title: str = ""  # "Factura N° 0012-00345678 — Suministro N° 2000380655" or "Cuota 2 del plan N° 7"
    amount: str = ""  # "$ 12.345,67"
    status: str = ""  # PaymentStatus.*
    status_label: str = ""  # "Pendiente" | "Aprobado" | "Rechazado"
    return_url: str = ""  # the page to go back to (the supply's invoices, or Trámites)
