"""The gate's price rule: a reply never quotes a price or asks for payment, in English,
Spanish, French, German or Portuguese.

Times of day ("3pm", "at 10 for an hour"), durations ("2 hours 30 minutes") and counts
pass; a currency, an amount "per" a unit of time, a price word with an amount, a bare
amount tied to a duration ("half hour is 150, full hour 250") or a payment app asked to
carry money do not.
"""

import re

_NUMBER_WORDS = (
    r"a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+couple|a\s+few|several"
)
_CURRENCY_CODES = r"usd|eur|gbp|cad|aud|chf|jpy|inr|brl|mxn"
_MONEY_WORDS = (
    rf"{_CURRENCY_CODES}|dollars?|euros?|pounds?|francs?|yen|rupees?|bucks|quid|roses|flowers|"
    r"bills|grand|donations?|tributes?|d[oó]lares|pesos|reais|real|libras|franken|francos"
)
# Hundreds and tens before a currency in the other four languages: "cien euros".
_NUMBER_WORDS_ELSEWHERE = (
    r"cien|ciento|doscientos|trescientos|cuatrocientos|quinientos|cincuenta|mil|cent|cents|"
    r"mille|cinquante|hundert|zweihundert|dreihundert|tausend|f[üu]nfzig|cem|duzentos|"
    r"trezentos|quatrocentos|quinhentos|cinquenta"
)
# Amounts a price is quoted in that are not times of day: "300", "fifty", "three hundred".
_AMOUNT = (
    r"\d+(?:[.,]\d+)?k\b|\d{2,}|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\b"
)
# What a price is "for": "300 for the hour", "250/hr", "400 nightly", "200 la hora".
_PRICED_UNIT = r"hours?|hrs?|h|nights?|evenings?|sessions?|weekends?|overnight"
_PER_UNIT_ELSEWHERE = (
    r"(?:la|por|una|cada)\s+(?:hora|noche)|(?:de\s+)?l'heure|par\s+(?:heure|nuit)|la\s+nuit|"
    r"(?:die|pro|je)\s+(?:stunde|nacht)|(?:por|a|à)\s+(?:hora|noite)|(?:a|à)\s+hora"
)
# Every currency sign: $ ¢ £ ¥ and the Unicode currency block (€ ₹ ₽ ₺ ₿ ...).
_CURRENCY_SIGNS = "[$¢£¥\u20a0-\u20cf]|r\\$"
_PRICE_WORDS = (
    r"rate|rates|price|prices|fee|fees|cost|costs|donation|charge|charges|deposit|tribute|"
    r"hourly|nightly|"
    r"tarifa|tarifas|precio|precios|cuesta|cuestan|cobro|donativo|"
    r"tarif|tarifs|prix|co[uû]te|honoraires?|"
    r"preis|preise|kostet|kosten|honorar|geschenk|"
    r"valor|pre[cç]o|pre[cç]os|custa|cach[eê]"
)
_DURATION = (
    r"(?:half|full|an?|one|two|three|media|una|dos|tres|demi|une|deux|trois|eine|zwei|drei|"
    r"halbe|meia|uma|duas|tr[eê]s|\d+(?:[.,]5)?)[\s-]*"
    r"(?:hours?|hrs?|h|min(?:ute)?s?|horas?|heures?|std|stunden?|minutos?)\b"
)
_SAYS = r"is|=|:|-|–|for|at|es|est|c'est|ist|é|son|sind|s[aã]o|costs?|cuesta|kostet|custa|fica|sale"
_NOT_A_DURATION = r"(?!\s*(?:am|pm|h\b|hours?|hrs?|min|minutes?|mins|:|\.\d))"
_PAYMENT_APPS = (
    r"venmo|cash\s*app|paypal|zelle|revolut|skrill|wise|bizum|pix|mb\s*way|apple\s*pay|"
    r"google\s*pay|western\s+union|crypto|bitcoin|btc|gift\s*cards?"
)
_PAYING = (
    r"pay|paid|payment|send|sent|deposit|transfer|tip|pagar|pago|envía|paiement|payer|virement|"
    r"zahlen|zahlung|überweisen|anzahlung|pagamento|depósito|transferir|"
    # Deposits: "una señal", "un acompte", "um sinal".
    r"se[ñn]al|anticipo|acompte|arrhes|sinal"
)

_PRICE_PATTERNS = [
    re.compile(rf"(?:{_CURRENCY_SIGNS})\s*\d|\d\s*(?:{_CURRENCY_SIGNS})"),
    re.compile(rf"\b\d[\d,.]*\s*k?\s*(?:{_MONEY_WORDS})\b"),
    # The code before the amount: "EUR 250", "USD300".
    re.compile(rf"\b(?:{_CURRENCY_CODES})\s*\d"),
    # "1.5k for the weekend", "2k a night"; "I ran 5k today" is not a price.
    re.compile(r"\b\d+(?:[.,]\d+)?\s*k\b(?=\s*(?:for|per|an?|/|each|upfront|cash)\b)"),
    re.compile(rf"\b(?:{_NUMBER_WORDS}|\d+)[\s-]+(?:hundred|thousand|grand)\b"),
    # "at 10 for an hour" and "from 10 for the evening" are times, not prices.
    re.compile(
        rf"(?<!\bat\s)(?<!\bfrom\s)\b(?:{_AMOUNT})\s*(?:/|per|an?|for)\s*"
        r"(?:(?:the|an?|one|two|three|1|2|3)\s+)?"
        rf"(?:{_PRICED_UNIT})\b|\b\d{{2,}}\s*(?:hourly|nightly)\b",
    ),
    re.compile(rf"\b\d{{2,}}\s*(?:{_PER_UNIT_ELSEWHERE})\b"),
    re.compile(
        rf"\b(?:{_NUMBER_WORDS}|hundred|thousand|{_NUMBER_WORDS_ELSEWHERE})[\s-]+(?:{_MONEY_WORDS})\b",
    ),
    re.compile(
        rf"\b(?:{_PRICE_WORDS})\b[^.\n]{{0,24}}(?:{_AMOUNT}){_NOT_A_DURATION}",
    ),
    # A bare amount tied to a duration: "half hour is 150", "1h 200", "30 min - 100".
    re.compile(
        rf"\b{_DURATION}\s*(?:{_SAYS})?\s*\d{{2,}}\b{_NOT_A_DURATION}",
    ),
    re.compile(
        rf"\b(?:{_PAYING})\b[^.\n]{{0,40}}\b(?:{_PAYMENT_APPS})\b"
        rf"|\b(?:{_PAYMENT_APPS})\b[^.\n]{{0,30}}\b(?:{_PAYING}|first|before|upfront)\b"
        # An amount through an app: "350 no pix", "50 on cashapp".
        rf"|\b\d{{2,}}\s*(?:no|na|on|via|by|with|per|por|par|über|em)\s+(?:{_PAYMENT_APPS})\b",
    ),
]


def has_price(text: str) -> bool:
    # The patterns are written in lower case: matching without re.I is twice as fast.
    text = text.lower()
    return any(pattern.search(text) for pattern in _PRICE_PATTERNS)
