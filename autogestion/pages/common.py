"""Bits several public pages share: the document-type options."""

DOC_TYPE_OPTIONS = [
    ("DNI", "DNI"),
    ("LE", "Libreta de Enrolamiento"),
    ("LC", "Libreta Cívica"),
    ("CI", "Cédula de Identidad"),
    ("PAS", "Pasaporte"),
    ("CUIT", "CUIT/CUIL"),
]
