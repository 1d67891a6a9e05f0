from __future__ import annotations

import io
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest

from helpline.channels.media.g711 import PCMA, PCMU, Codec
from helpline.channels.media.tone import estimate_frequency, level_dbfs, samples, sine
from helpline.channels.media.wav import (
    AudioFormatError,
    Recorder,
    WavWriter,
    convert_wav,
    read_wav,
    to_linear8k,
)


def tone_values(freq: float, seconds: float, rate: int, peak: float) -> list[float]:
    return [peak * math.sin(2 * math.pi * freq * i / rate) for i in range(int(seconds * rate))]


def pack_samples(values: list[float], width: int) -> bytes:
    if width == 1:  # WAV's 8-bit PCM is unsigned, centred on 128
        return bytes(128 + round(v * 127) for v in values)
    full = (1 << (8 * width - 1)) - 1
    return b"".join(round(v * full).to_bytes(width, "little", signed=True) for v in values)


def write_wav(
    path: Path, *, rate: int, width: int, channels: list[list[float]], nframes: int | None = None
) -> Path:
    per_channel = [pack_samples(values, width) for values in channels]
    frames = b"".join(
        b"".join(data[i : i + width] for data in per_channel)
        for i in range(0, len(per_channel[0]), width)
    )
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(len(channels))
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return path


def riff(fmt: bytes, data: bytes) -> bytes:
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_chunk(tag: int, channels: int, rate: int, bits: int, extra: bytes = b"") -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits) + extra


def check_tone(pcm: bytes, freq: float, seconds: float, level: float) -> None:
    assert len(pcm) == pytest.approx(2 * 8000 * seconds, abs=4)
    assert estimate_frequency(pcm) == pytest.approx(freq, abs=5)
    assert level_dbfs(pcm) == pytest.approx(level, abs=1.0)
    values = samples(pcm)
    assert abs(sum(values) / len(values)) < 50  # no DC offset left (unsigned 8-bit)


# --- conversion of uploads ----------------------------------------------------------------


def test_44k1_stereo_16_bit_becomes_8k_mono(tmp_path: Path) -> None:
    left = tone_values(440, 1.0, 44100, 0.5)
    path = write_wav(tmp_path / "music.wav", rate=44100, width=2, channels=[left, left])
    check_tone(read_wav(path), 440, 1.0, 20 * math.log10(0.5 / math.sqrt(2)))


def test_stereo_channels_are_averaged(tmp_path: Path) -> None:
    left = tone_values(1000, 0.5, 8000, 0.6)
    silent = [0.0] * len(left)
    path = write_wav(tmp_path / "left.wav", rate=8000, width=2, channels=[left, silent])
    pcm = read_wav(path)
    assert max(samples(pcm)) == pytest.approx(0.3 * 32767, rel=0.01)


def test_8_bit_unsigned_file(tmp_path: Path) -> None:
    values = tone_values(1000, 0.5, 11025, 0.5)
    path = write_wav(tmp_path / "old.wav", rate=11025, width=1, channels=[values])
    check_tone(read_wav(path), 1000, 0.5, 20 * math.log10(0.5 / math.sqrt(2)))


def test_8_bit_stereo_44k1_file(tmp_path: Path) -> None:
    values = tone_values(300, 0.5, 44100, 0.5)
    path = write_wav(tmp_path / "s8.wav", rate=44100, width=1, channels=[values, values])
    check_tone(read_wav(path), 300, 0.5, 20 * math.log10(0.5 / math.sqrt(2)))


@pytest.mark.parametrize(("width", "rate"), [(3, 48000), (4, 16000), (2, 22050), (2, 6000)])
def test_other_widths_and_rates(tmp_path: Path, width: int, rate: int) -> None:
    values = tone_values(1800 if rate > 6000 else 1000, 0.5, rate, 0.25)
    path = write_wav(tmp_path / "x.wav", rate=rate, width=width, channels=[values])
    freq = 1800 if rate > 6000 else 1000
    check_tone(read_wav(path), freq, 0.5, 20 * math.log10(0.25 / math.sqrt(2)))


def test_more_than_two_channels_are_mixed(tmp_path: Path) -> None:
    values = tone_values(440, 0.5, 8000, 0.3)
    silent = [0.0] * len(values)
    path = write_wav(tmp_path / "5.1.wav", rate=8000, width=2, channels=[values, values, silent])
    pcm = read_wav(path)
    assert max(samples(pcm)) == pytest.approx(0.2 * 32767, rel=0.01)


def test_8k_mono_16_bit_passes_through_unchanged(tmp_path: Path) -> None:
    pcm = sine(440, 300, 0.5)
    path = tmp_path / "ready.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(pcm)
    assert read_wav(path) == pcm
    assert read_wav(str(path)) == pcm
    with path.open("rb") as file:
        assert read_wav(file) == pcm


@pytest.mark.parametrize("rate", [44100, 48000, 22050, 96000, 16000, 11025])
def test_content_above_the_telephone_band_does_not_fold_back(tmp_path: Path, rate: int) -> None:
    # without the low-pass filter, 5 kHz would come out as 3 kHz (and 13 kHz as 3 kHz)
    for freq in (5000, 13000):
        if freq < rate / 2:
            values = tone_values(freq, 0.5, rate, 0.5)
            path = write_wav(tmp_path / "hiss.wav", rate=rate, width=2, channels=[values])
            # (leaving out the clicks where the tone starts and stops, which are in band)
            assert level_dbfs(read_wav(path)[320:-320]) < -50
    # while the band itself keeps its level
    values = tone_values(3000, 0.5, rate, 0.5)
    path = write_wav(tmp_path / "band.wav", rate=rate, width=2, channels=[values])
    pcm = read_wav(path)
    assert level_dbfs(pcm) == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=1)
    assert estimate_frequency(pcm) == pytest.approx(3000, abs=5)


def test_extensible_pcm_24_bit(tmp_path: Path) -> None:
    values = tone_values(1000, 0.5, 48000, 0.5)
    subformat = struct.pack("<H", 1) + bytes.fromhex("000000001000800000aa00389b71")
    extra = struct.pack("<HHI", 22, 24, 0x4) + subformat
    data = riff(fmt_chunk(0xFFFE, 1, 48000, 24, extra), pack_samples(values, 3))
    path = tmp_path / "ext.wav"
    path.write_bytes(data)
    check_tone(read_wav(path), 1000, 0.5, 20 * math.log10(0.5 / math.sqrt(2)))


@pytest.mark.parametrize(("tag", "codec"), [(7, PCMU), (6, PCMA)])
def test_g711_wav_files(tmp_path: Path, tag: int, codec: Codec) -> None:
    pcm = sine(440, 500, 0.5)
    encoded = codec.encode(pcm)
    path = tmp_path / "prompt.wav"
    path.write_bytes(riff(fmt_chunk(tag, 1, 8000, 8, b"\x00\x00"), encoded))
    assert read_wav(path) == codec.decode(encoded)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (riff(fmt_chunk(3, 1, 44100, 32), bytes(400)), "floating-point"),
        (riff(fmt_chunk(0x55, 1, 44100, 0), bytes(400)), "MP3"),
        (riff(fmt_chunk(0x11, 1, 8000, 4), bytes(400)), "ADPCM"),
        (riff(fmt_chunk(0x1234, 1, 8000, 16), bytes(400)), "format 4660"),
        (b"ID3\x03\x00" + bytes(100), "not a WAV file"),
        (b"", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "unreadable"),
    ],
)
def test_unusable_files_raise_a_clear_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "upload.wav"
    path.write_bytes(data)
    with pytest.raises(AudioFormatError, match=message):
        read_wav(path)


def test_extensible_float_is_refused(tmp_path: Path) -> None:
    subformat = struct.pack("<H", 3) + bytes.fromhex("000000001000800000aa00389b71")
    extra = struct.pack("<HHI", 22, 32, 0x4) + subformat
    path = tmp_path / "float.wav"
    path.write_bytes(riff(fmt_chunk(0xFFFE, 1, 48000, 32, extra), bytes(400)))
    with pytest.raises(AudioFormatError, match="floating-point"):
        read_wav(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="cannot read"):
        read_wav(tmp_path / "nope.wav")


def test_truncated_data_keeps_the_whole_frames(tmp_path: Path) -> None:
    values = tone_values(440, 0.5, 8000, 0.5)
    path = write_wav(tmp_path / "t.wav", rate=8000, width=2, channels=[values, values])
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    pcm = read_wav(path)
    assert len(pcm) == 2 * (4000 - 1)


def test_to_linear8k_of_empty_audio() -> None:
    assert to_linear8k(b"", 2, 2, 44100) == b""


def test_convert_wav_writes_the_engine_format(tmp_path: Path) -> None:
    values = tone_values(440, 1.0, 44100, 0.5)
    source = write_wav(tmp_path / "in.wav", rate=44100, width=2, channels=[values, values])
    target = tmp_path / "out.wav"
    assert convert_wav(source, target) == pytest.approx(1000, abs=1)
    with wave.open(str(target), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 8000)
        assert estimate_frequency(reader.readframes(reader.getnframes())) == pytest.approx(
            440, abs=5
        )


# --- writing and recording ----------------------------------------------------------------


def read_back(path: Path | io.BytesIO) -> bytes:
    source = str(path) if isinstance(path, Path) else path
    with wave.open(source, "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 8000)
        return reader.readframes(reader.getnframes())


def test_wav_writer_to_a_path_and_to_a_file_object(tmp_path: Path) -> None:
    pcm = sine(440, 100)
    with WavWriter(tmp_path / "a.wav") as writer:
        writer.write(pcm)
        assert writer.duration_ms == 100
    assert read_back(tmp_path / "a.wav") == pcm
    buffer = io.BytesIO()
    writer = WavWriter(buffer)
    writer.write(pcm)
    writer.close()
    writer.close()  # closing twice is harmless
    buffer.seek(0)
    assert read_back(buffer) == pcm
    with pytest.raises(ValueError, match="closed"):
        writer.write(pcm)


def test_unfinished_recording_is_readable_up_to_the_last_header_update(tmp_path: Path) -> None:
    path = tmp_path / "crash.wav"
    writer = WavWriter(path, update_every=50)
    for _ in range(120):
        writer.write(sine(440, 20))
    snapshot = tmp_path / "copy.wav"
    shutil.copyfile(path, snapshot)
    assert len(read_back(snapshot)) == 100 * 320
    writer.close()
    assert len(read_back(path)) == 120 * 320


def test_recorder_paused_for_one_second_records_one_second_of_silence(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    before, during, after = sine(440, 1000), sine(1000, 1000), sine(1800, 1000)
    with Recorder(path) as recorder:
        for tone_pcm in (before, during, after):
            if tone_pcm is during:
                recorder.pause()
                assert recorder.paused
            for offset in range(0, len(tone_pcm), 320):  # one 20 ms frame per tick
                recorder.write(tone_pcm[offset : offset + 320])
            if tone_pcm is during:
                recorder.resume()
        assert recorder.paused_frames == 50
        assert recorder.duration_ms == 3000
    pcm = read_back(path)
    assert len(pcm) == 3 * 16000
    first, middle, last = pcm[:16000], pcm[16000:32000], pcm[32000:]
    assert middle == bytes(16000)
    assert first == before
    assert last == after
    assert estimate_frequency(last) == pytest.approx(1800, abs=5)


def test_recorder_starting_paused_and_lost_frames(tmp_path: Path) -> None:
    path = tmp_path / "r.wav"
    recorder = Recorder(path, paused=True)
    recorder.write(sine(440, 20))
    recorder.resume()
    recorder.write(None)  # a tick without audio keeps its place in the timeline
    recorder.write(sine(440, 20))
    recorder.close()
    pcm = read_back(path)
    assert pcm[:640] == bytes(640)
    assert pcm[640:] == sine(440, 20)


def test_recorder_mixes_legs(tmp_path: Path) -> None:
    path = tmp_path / "mixed.wav"
    caller, agent = sine(440, 20, 0.25), sine(1000, 20, 0.25)
    with Recorder(path) as recorder:
        recorder.write_mixed([caller, agent])
        recorder.write_mixed([])
        recorder.pause()
        recorder.write_mixed([caller, agent])
    pcm = read_back(path)
    assert pcm[:320] != bytes(320)
    assert pcm[320:] == bytes(640)
