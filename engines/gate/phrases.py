"""The gate's phrase rules: a reply never sounds like an AI or a refusal, and never shows
the prompt, the model's reasoning or an instruction it was fed.

Both rules cover English, Spanish, French, German and Portuguese.
"""

import re

_AI_WORDS = {
    "en": (
        r"\bas an ai\b|\bi(?:'m| am) (?:just |only |simply )?an ai\b|\blanguage model\b|"
        r"\bi can(?:'|no)?t (?:help|assist|provide|comply|do that)\b|"
        r"\bi(?:'m| am) (?:unable|not able) to\b|\bi(?:'m| am) sorry,? but\b|"
        r"\bi apologi[sz]e,? but\b|"
        # A switched persona or a model talking about its prompt (prompt-injection replies).
        r"\bchat-?gpt\b|\bopenai\b|\bas (?:your|an?) (?:virtual |digital |ai )?assistant\b|"
        r"\bi(?:'m| am) (?:just |only )?(?:your |an? )?(?:helpful |virtual |digital |ai )?"
        r"(?:assistant|chatbot|bot)\b|"
        r"\b(?:trained|created|developed) by (?:google|openai|meta)\b|"
        r"\bmy (?:programming|guidelines)\b|"
        r"\bi(?:'ve| have| was|'m| am) (?:been )?(?:instructed|programmed)\b"
    ),
    "es": (
        r"\bcomo (?:una? )?(?:ia|inteligencia artificial|modelo de lenguaje|asistente virtual)\b|"
        r"\bsoy (?:una? )?(?:ia|inteligencia artificial|modelo de lenguaje|asistente virtual|"
        r"bot)\b|\blo siento,? pero no puedo\b|"
        r"\bno puedo (?:ayudarte|ayudar|asistirte|proporcionar)\b|\blamento no poder\b"
    ),
    "fr": (
        r"\ben tant qu(?:'|e )(?:une? )?(?:ia|intelligence artificielle|assistant|"
        r"mod[eè]le de langage)\b|\bje suis (?:une? )?(?:ia|intelligence artificielle|"
        r"mod[eè]le de langage|assistant virtuel|bot)\b|"
        r"\bje suis d[ée]sol[ée]e?,? mais je ne peux pas\b|"
        r"\bje ne peux pas (?:vous |t')?(?:aider|fournir|r[ée]pondre)\b"
    ),
    "de": (
        r"\bals (?:eine? )?(?:ki|k[üu]nstliche intelligenz|ki-sprachmodell|sprachmodell|"
        r"ki-assistent|virtueller assistent)\b|\bich bin (?:eine? )?(?:ki|k[üu]nstliche "
        r"intelligenz|sprachmodell|ki-sprachmodell|ki-assistent|bot)\b|"
        r"\b(?:es )?tut mir leid,? aber ich kann\b|"
        r"\bich kann (?:dir |ihnen )?(?:dabei |damit )?nicht helfen\b"
    ),
    "pt": (
        r"\bcomo (?:uma? )?(?:ia|intelig[êe]ncia artificial|modelo de linguagem|"
        r"assistente virtual)\b|\bsou (?:uma? )?(?:ia|intelig[êe]ncia artificial|"
        r"modelo de linguagem|assistente virtual|bot)\b|\bdesculpe?,? mas n[ãa]o posso\b|"
        r"\bn[ãa]o posso (?:te )?(?:ajudar|fornecer|auxiliar)\b"
    ),
}
_AI_PHRASES = re.compile("|".join(_AI_WORDS.values()))


def sounds_like_ai(text: str) -> bool:
    return bool(_AI_PHRASES.search(text.lower()))


# Section labels at the start of a line, in the five languages: "Step 1:", "Reasoning:",
# "Respuesta:", "Antwort:".
_LABELS = (
    r"step\s*\d+|notes from step\s*\d*|think|thinking|thought|thoughts|reasoning|analysis|"
    r"scratchpad|draft|reply|answer|situation|system|user|assistant|"
    r"paso\s*\d+|razonamiento|respuesta|borrador|"
    r"[ée]tape\s*\d+|raisonnement|r[ée]ponse|brouillon|"
    r"schritt\s*\d+|[üu]berlegung|antwort|entwurf|"
    r"passo\s*\d+|racioc[íi]nio|resposta|rascunho"
)
_STEP_LABELS = re.compile(
    rf"(?m)^\s*(?:{_LABELS})\s*[:#]|^\s*##\s|<output of step|\[/?data [0-9a-f]+\]|"
    # Reasoning markup: "<think>…</think>", "<reasoning>", "<scratchpad>".
    r"</?\s*(?:think|thinking|reasoning|thought|scratchpad|analysis)\s*>|"
    # Chat-template markers: Gemma 3 270M, told to drop its persona, answered "<<SYS]".
    r"<<\s*/?\s*sys\b|\[/?(?:inst|system|user|assistant)\]|<\|[\w-]+\|>|<(?:start|end)_of_turn>"
)
# An instruction fed to the model and echoed back: "ignore previous instructions".
_IGNORE = (
    r"ignore|disregard|forget|override|ignora|ignorar|olvida|ignorez|ignorer|oubliez|oublie|"
    r"ignoriere|ignorieren|vergiss|vergessen|esque[çc]a|desconsidere"
)
_INSTRUCTIONS = (
    r"instructions?|prompts?|rules|guidelines|instrucciones|reglas|indicaciones|r[èe]gles|"
    r"consignes|anweisungen|regeln|vorgaben|instru[çc][õo]es|regras"
)
_ECHOED_INSTRUCTION = re.compile(
    rf"\b(?:{_IGNORE})\b[^.\n]{{0,40}}\b(?:{_INSTRUCTIONS})\b|"
    r"\bdisregard (?:the|all|everything) (?:above|before)\b|\bnew instructions?\s*:|"
    # The prompt itself, quoted back: "You are a helpful assistant that …", "system prompt".
    r"\byou are (?:an?|\w+'s) (?:helpful |friendly )?(?:ai |booking |virtual )?assistant\b|"
    r"\bsystem prompt\b",
)


def shows_prompt_or_reasoning(text: str) -> bool:
    text = text.lower()
    return bool(_STEP_LABELS.search(text) or _ECHOED_INSTRUCTION.search(text))
