"""Verification phrases and references a recipient can check on the company's own website.

Both are derived with HMAC-SHA256 under the company's verification key from the incident id,
the notice kind and the recipient key, so they are stable (a resent notice carries the same
phrase), unguessable without the key, and checkable later without storing a table: the website
recomputes them for a signed-in user. A phrase is four words from a fixed 256-word list (32
bits); the reference is 10 Crockford base-32 characters (50 bits) in two groups. Nothing in
either is derived from leaked data, so a phisher holding the leak cannot forge one.
"""

from __future__ import annotations

import hashlib
import hmac

from breachscope.errors import BreachscopeError

#: 256 short, common, distinct English words (no homophones, no offensive words). Never reorder:
#: published phrases depend on it.
WORDS: tuple[str, ...] = tuple(
    """
    acorn actor adult agent alarm album amber angle ankle apple apron arena armor arrow atlas
    autumn bacon badge bagel baker bamboo banjo barn basil basket beach beaver bell bench berry
    bingo biscuit blanket blossom boat bonnet border bottle bucket buffalo bugle butter cabin
    cactus camel candle canoe canyon captain carbon carpet carrot castle cedar cello chalk cherry
    chess chimney cider circus citrus clover cobalt cocoa comet copper coral cotton cougar cradle
    crayon cricket crystal cupcake daisy dancer delta desert diamond dolphin domino donkey dragon
    drum eagle echo elbow ember engine falcon feather fennel ferry fiddle flannel flute forest
    fossil fountain fox galaxy garden garlic geyser ginger giraffe glacier goblet gondola gravel
    guitar hammock harbor harvest hazel helmet heron hollow honey horizon iceberg igloo indigo
    island ivory jacket jaguar jasmine jelly jigsaw jungle kayak kettle kiwi koala ladder lagoon
    lantern lemon leopard lilac lobster locket lotus lunar magnet mango maple marble meadow melon
    meteor mint mirror mitten monsoon mosaic muffin nectar needle nickel noodle nutmeg oasis ocean
    olive onion opal orbit orchid otter oyster paddle palm panda papaya parrot peach pebble pelican
    pepper piano pickle pigeon pillow pine planet plum pocket pony poppy pumpkin puzzle quartz
    quill rabbit radar raven ribbon river robin rocket saddle saffron salmon sapphire satin
    scarf shadow shell sierra silver sketch sparrow spice spruce squash stable summit sunset
    swan tablet tango teapot thistle thunder tiger timber tomato topaz torch tractor tulip tundra
    turtle umbrella valley velvet violin walnut walrus wagon whistle willow window winter yogurt
    zebra zephyr anchor breeze canal fig grape hornet
    """.split()
)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PHRASE_WORDS = 4
REFERENCE_CHARS = 10


def _digest(key: str, incident_id: int, kind: str, recipient_key: str, purpose: str) -> bytes:
    if not key:
        raise BreachscopeError(
            "notify config: verification_key is missing",
            "set verification_key in [notify] or BREACHSCOPE_NOTIFY_VERIFICATION_KEY (a long random string)",
        )
    message = f"{purpose}\x1f{incident_id}\x1f{kind}\x1f{recipient_key}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


def phrase(key: str, incident_id: int, kind: str, recipient_key: str) -> str:
    """Four words, e.g. ``"otter lantern quartz maple"``."""
    digest = _digest(key, incident_id, kind, recipient_key, "phrase")
    return " ".join(WORDS[b] for b in digest[:PHRASE_WORDS])


def reference(key: str, incident_id: int, kind: str, recipient_key: str) -> str:
    """A notice reference, e.g. ``"K7QP4-XMA92"``, for support calls and the website check."""
    n = int.from_bytes(_digest(key, incident_id, kind, recipient_key, "reference")[:8], "big")
    chars = "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in range(REFERENCE_CHARS))
    return f"{chars[:5]}-{chars[5:]}"


def check(key: str, incident_id: int, kind: str, recipient_key: str, given_phrase: str) -> bool:
    """What the website runs: does ``given_phrase`` belong to this recipient? (case/space tolerant)"""
    expected = phrase(key, incident_id, kind, recipient_key)
    return hmac.compare_digest(" ".join(given_phrase.lower().split()), expected)
