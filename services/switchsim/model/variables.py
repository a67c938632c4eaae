"""The channel variables a real sofia leg carries (../shared/fs-traces/a_inbound_sipp_call: ~50 on
CHANNEL_CREATE, ~80 once media is up, ~170 on CHANNEL_HANGUP_COMPLETE), so consumers that read them from
events see them in the simulator too (issue 8). Values are those of a loopback SIP call; nothing here
reaches the network."""

from __future__ import annotations

import itertools
import random
import time

_session_ids = itertools.count(1)
EP_CODECS = "CORE_PCM_MODULE.PCMU@8000h@20i@64000b,CORE_PCM_MODULE.PCMA@8000h@20i@64000b"


def _uri_parts(prefix: str, user: str, host: str, port: str) -> dict[str, str]:
    return {f"{prefix}_user": user, f"{prefix}_port": port, f"{prefix}_uri": f"{user}@{host}:{port}",
            f"{prefix}_host": host}  # fmt: skip


def sofia_inbound(caller: str, dest: str, contact: str, now: float) -> dict[str, str]:
    """Variables of an INVITE from `caller` at `contact` (host:port) to `dest` on profile internal."""
    host, _, port = contact.rpartition(":")
    host, port = host or "127.0.0.1", port or "5060"
    v = {"session_id": str(next(_session_ids))}
    v.update(_uri_parts("sip_from", caller, host, port))
    v.update({
        "video_media_flow": "disabled", "text_media_flow": "disabled", "sip_local_network_addr": "127.0.0.1",
        "sip_network_ip": host, "sip_network_port": port, "sip_invite_stamp": str(int(now * 1e6)),
        "sip_received_ip": host, "sip_received_port": port, "sip_via_protocol": "udp",
        "sip_authorized": "true", "sip_acl_authed_by": "loopback.auto", "sip_from_user_stripped": caller,
        "sofia_profile_name": "internal", "sofia_profile_url": "sip:mod_sofia@127.0.0.1:5060",
        "recovery_profile_name": "internal",
    })  # fmt: skip
    v.update(_uri_parts("sip_req", dest, "127.0.0.1", "5060"))
    v.update(_uri_parts("sip_to", dest, "127.0.0.1", "5060"))
    v.update(_uri_parts("sip_contact", caller, host, port))
    v.update({"sip_user_agent": "careline-switchsim", "sip_via_host": host, "sip_via_port": port,
              "max_forwards": "70", "presence_id": f"{caller}@{host}", "audio_media_flow": "disabled",
              "ep_codec_string": EP_CODECS, "rtp_use_codec_string": "PCMU,PCMA",
              "endpoint_disposition": "DELAYED NEGOTIATION"})  # fmt: skip
    return v


def sofia_outbound(user: str, contact: str) -> dict[str, str]:
    host, _, port = contact.rpartition(":")
    return {"session_id": str(next(_session_ids)), "sip_profile_name": "internal",
            "sofia_profile_name": "internal", "recovery_profile_name": "internal",
            "sip_req_uri": f"{user}@{contact}", "sip_to_host": host or "127.0.0.1", "sip_to_port": port,
            "sip_to_user": user, "video_media_flow": "disabled", "text_media_flow": "disabled"}  # fmt: skip


def media(is_sofia: bool) -> dict[str, str]:
    """Set when media is negotiated (PCMU, as every trace shows)."""
    v = {"read_codec": "PCMU", "original_read_codec": "PCMU", "read_rate": "8000",
         "original_read_rate": "8000", "write_codec": "PCMU", "write_rate": "8000"}  # fmt: skip
    if is_sofia:
        v.update({
            "ep_codec_string": EP_CODECS,
            "rtp_use_codec_string": "PCMU,PCMA", "remote_video_media_flow": "inactive",
            "remote_text_media_flow": "inactive", "remote_audio_media_flow": "sendrecv",
            "audio_media_flow": "sendrecv", "rtp_audio_recv_pt": "0", "rtp_use_codec_name": "PCMU",
            "rtp_use_codec_rate": "8000", "rtp_use_codec_ptime": "20", "rtp_use_codec_channels": "1",
            "rtp_last_audio_codec_string": "PCMU@8000h@20i@1c", "dtmf_type": "rfc2833",
            "local_media_ip": "127.0.0.1", "local_media_port": str(16384 + 2 * random.randrange(8000)),
            "advertised_media_ip": "127.0.0.1", "rtp_use_timer_name": "soft", "rtp_use_pt": "0",
            "rtp_use_ssrc": str(random.getrandbits(31)), "rtp_2833_send_payload": "101",
            "rtp_2833_recv_payload": "101", "remote_media_ip": "127.0.0.1", "remote_media_port": "20000",
        })  # fmt: skip
    return v


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def cdr_times(ch, now: float) -> dict[str, str]:
    """The times FreeSWITCH writes at CS_REPORTING (switch_channel_set_timestamps)."""
    start, ans, bridged, media_t = ch.t_created, ch.t_answered, ch.t_bridged, ch.t_progress_media
    hold_us = int(ch.hold_accum * 1e6)

    def since(t: float, base: float, unit: float) -> str:
        return str(int((t - base) * unit)) if t else "0"

    v = {
        "start_epoch": str(int(start)), "start_uepoch": str(int(start * 1e6)),
        "profile_start_epoch": str(int(start)), "profile_start_uepoch": str(int(start * 1e6)),
        "answer_epoch": str(int(ans)), "answer_uepoch": str(int(ans * 1e6)),
        "bridge_epoch": str(int(bridged)), "bridge_uepoch": str(int(bridged * 1e6)),
        "last_hold_epoch": str(int(ch.t_last_hold)), "last_hold_uepoch": str(int(ch.t_last_hold * 1e6)),
        "hold_accum_seconds": str(hold_us // 1_000_000), "hold_accum_usec": str(hold_us),
        "hold_accum_ms": str(hold_us // 1000), "resurrect_epoch": "0", "resurrect_uepoch": "0",
        "progress_epoch": "0", "progress_uepoch": "0",
        "progress_media_epoch": str(int(media_t)), "progress_media_uepoch": str(int(media_t * 1e6)),
        "end_epoch": str(int(now)), "end_uepoch": str(int(now * 1e6)),
        "start_stamp": _stamp(start), "profile_start_stamp": _stamp(start), "end_stamp": _stamp(now),
        "caller_id": f'"{ch.cid_name}" <{ch.cid_num}>',
        "duration": str(int(now - start)), "billsec": since(now, ans, 1) if ans else "0",
        "progresssec": "0", "answersec": since(ans, start, 1), "waitsec": since(bridged, start, 1),
        "progress_mediasec": since(media_t, start, 1), "flow_billsec": str(int(now - start)),
        "mduration": str(int((now - start) * 1000)), "billmsec": since(now, ans, 1000) if ans else "0",
        "progressmsec": "0", "answermsec": since(ans, start, 1000), "waitmsec": since(bridged, start, 1000),
        "progress_mediamsec": since(media_t, start, 1000), "flow_billmsec": str(int((now - start) * 1000)),
        "uduration": str(int((now - start) * 1e6)), "billusec": since(now, ans, 1e6) if ans else "0",
        "progressusec": "0", "answerusec": since(ans, start, 1e6), "waitusec": since(bridged, start, 1e6),
        "progress_mediausec": since(media_t, start, 1e6), "flow_billusec": str(int((now - start) * 1e6)),
        "digits_dialed": "none",
    }  # fmt: skip
    if ans:
        v["answer_stamp"] = _stamp(ans)
    if media_t:
        v["progress_media_stamp"] = _stamp(media_t)
    return v
