using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Web.Labs;

namespace Netlab.Web.Components.Shared;

/// <summary>One line of text for any event, for logs and generic event lists: the shared events here, each lab's own from its module.</summary>
public static class EventText
{
    public static string Describe(LabEvent e) => e switch
    {
        RttSample { Outcome: RttOutcome.Timeout } r => $"seq {r.Sequence}: Request timed out",
        RttSample r => string.Create(CultureInfo.InvariantCulture, $"seq {r.Sequence}: {r.Outcome.ToString().ToLowerInvariant()} {r.Reply} {(r.RttMs is { } ms ? $"time={ms:F3} ms" : "")}").TrimEnd(),
        ServerStateChanged s => s.Reason is null ? $"server {s.State}" : $"server {s.State}: {s.Reason}",
        LogLine l => l.Severity == LogSeverity.Info ? l.Text : $"{l.Severity.ToString().ToLowerInvariant()}: {l.Text}",
        Summary s => string.Join(Environment.NewLine, s.Lines),
        TranscriptLine t => $"{t.Connection} {TranscriptView.Prefix(t.Direction)}{t.Text}",
        Check c => $"{(c.Passed ? "PASS" : "FAIL")} {c.Name} ({c.Points}/{c.MaxPoints}): {c.Actual}",
        HexMessage h => $"{h.Label}: {Convert.ToHexString(h.Bytes.AsSpan(0, Math.Min(h.Bytes.Length, 64))).ToLowerInvariant()}{(h.Bytes.Length > 64 ? "…" : "")}",
        _ => LabModules.All.Select(m => m.Describe(e)).FirstOrDefault(text => text is not null) ?? LabJson.Serialize(e),
    };

    /// <summary>A CSS class that colours the line by what happened.</summary>
    public static string CssClass(LabEvent e) => e switch
    {
        LogLine { Severity: not LogSeverity.Info } => "warning",
        ServerStateChanged { State: ServerState.Faulted } => "dropped",
        _ => LabModules.All.Select(m => m.CssClass(e)).FirstOrDefault(css => css is not null) ?? "",
    };
}
