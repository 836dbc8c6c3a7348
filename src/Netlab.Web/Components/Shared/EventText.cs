using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Labs.Ftp;
using Netlab.Labs.Heartbeat;
using Netlab.Labs.Http;
using Netlab.Labs.Icmp;
using Netlab.Labs.Smtp;
using Netlab.Labs.UdpPing;

namespace Netlab.Web.Components.Shared;

/// <summary>One line of text for any event, for logs and generic event lists.</summary>
public static class EventText
{
    public static string Describe(LabEvent e) => e switch
    {
        RttSample { Outcome: RttOutcome.Timeout } r => $"seq {r.Sequence}: Request timed out",
        RttSample r => string.Create(CultureInfo.InvariantCulture, $"seq {r.Sequence}: {r.Outcome.ToString().ToLowerInvariant()} {r.Reply} {(r.RttMs is { } ms ? $"time={ms:F3} ms" : "")}").TrimEnd(),
        DatagramSeen d => $"{d.Remote} {d.Length} bytes {(d.Action == DatagramAction.Dropped ? "DROPPED (loss simulation)" : "echoed")}{(d.DelayMs is { } delay ? $" after {delay:F1} ms" : "")}: {d.Preview}",
        ServerStateChanged s => s.Reason is null ? $"server {s.State}" : $"server {s.State}: {s.Reason}",
        LogLine l => l.Severity == LogSeverity.Info ? l.Text : $"{l.Severity.ToString().ToLowerInvariant()}: {l.Text}",
        Summary s => string.Join(Environment.NewLine, s.Lines),
        AccessLogEntry a => string.Create(CultureInfo.InvariantCulture, $"{a.Client} \"{a.Method} {a.Target}\" {a.Status} {a.Bytes} bytes {a.DurationMs:F3} ms"),
        TranscriptLine t => $"{t.Connection} {TranscriptView.Prefix(t.Direction)}{t.Text}",
        Check c => $"{(c.Passed ? "PASS" : "FAIL")} {c.Name} ({c.Points}/{c.MaxPoints}): {c.Actual}",
        DnsQueryLogged q => $"{q.Client} {q.Transport} id {q.Id} {q.Name} {q.Type} -> {q.ResponseCode} ({q.ResponseBytes} bytes){(q.Error is null ? "" : ": " + q.Error)}",
        HexMessage h => $"{h.Label}: {Convert.ToHexString(h.Bytes.AsSpan(0, Math.Min(h.Bytes.Length, 64))).ToLowerInvariant()}{(h.Bytes.Length > 64 ? "…" : "")}",
        HeartbeatSent h => $"heartbeat {h.Sequence} sent",
        HeartbeatReceived { Arrival: HeartbeatArrival.Dropped } h => $"{h.Client} heartbeat {h.Sequence} DROPPED (loss simulation)",
        HeartbeatReceived h => string.Create(CultureInfo.InvariantCulture, $"{h.Client} heartbeat {h.Sequence} {h.Arrival.ToString().ToLowerInvariant()}, delay {h.OneWayDelayMs:F3} ms{(h.NewlyMissing.Count > 0 ? $", missing {string.Join(",", h.NewlyMissing)}" : "")}"),
        HeartbeatGap g => string.Create(CultureInfo.InvariantCulture, $"{g.Client} {g.State.ToString().ToUpperInvariant()} after {g.SilenceMs / 1000:F1} s of silence (last heartbeat {g.LastSequence})"),
        TracerouteHop t => $"hop {t.Hop}: {string.Join(", ", t.Addresses.Select(a => a ?? "*").Distinct())}",
        MailAccepted m => $"{m.Session} accepted {m.MessageId} from <{m.From}> to {string.Join(", ", m.To.Select(t => $"<{t}>"))}: \"{m.Subject}\" ({m.Size} bytes)",
        SmtpSessionClosed s => $"{s.Session} {s.Client} closed: {s.Outcome}, {s.Messages} message(s){(s.Tls ? ", TLS" : "")}{(s.User is null ? "" : $", user {s.User}")}{(s.Warnings.Count > 0 ? $", {s.Warnings.Count} warning(s)" : "")}",
        FtpTransfer f => string.Create(CultureInfo.InvariantCulture, $"{f.Session} {f.Mode} {f.Direction} {f.Path}: {f.Bytes} bytes in {f.DurationMs:F1} ms ({f.BytesPerSecond / 1e6:F2} MB/s){(f.Completed ? "" : $", FAILED: {f.Error}")}"),
        HttpResponseView v => $"{v.Version} {v.Status} {v.Reason}, {v.BodyBytes} bytes",
        _ => LabJson.Serialize(e),
    };

    /// <summary>A CSS class that colours the line by what happened.</summary>
    public static string CssClass(LabEvent e) => e switch
    {
        DatagramSeen { Action: DatagramAction.Dropped } => "dropped",
        DatagramSeen => "echoed",
        AccessLogEntry { Status: >= 400 } => "warning",
        AccessLogEntry => "echoed",
        DnsQueryLogged { ResponseCode: "NOERROR" } => "echoed",
        HeartbeatReceived { Arrival: HeartbeatArrival.Dropped } => "dropped",
        HeartbeatReceived { Arrival: HeartbeatArrival.InOrder } => "echoed",
        HeartbeatReceived => "warning",
        HeartbeatGap => "warning",
        DnsQueryLogged => "warning",
        MailAccepted => "echoed",
        FtpTransfer { Completed: true } => "echoed",
        FtpTransfer => "dropped",
        SmtpSessionClosed { Warnings.Count: > 0 } => "warning",
        LogLine { Severity: not LogSeverity.Info } => "warning",
        ServerStateChanged { State: ServerState.Faulted } => "dropped",
        _ => "",
    };
}
