"""The room timer's signal at zero: a short chime as WAV bytes, made here (no sound files,
nothing fetched)."""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import cache

RATE = 22050


@cache
def chime(seconds: float = 1.2) -> bytes:
    """Two soft tones (A5 then E6) with a fade, 16-bit mono."""
    frames = bytearray()
    total = int(RATE * seconds)
    for i in range(total):
        t = i / RATE
        freq = 880.0 if t < seconds / 2 else 1318.5
        fade = min(1.0, (total - i) / (RATE * 0.3), i / (RATE * 0.02))
        frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * freq * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()
