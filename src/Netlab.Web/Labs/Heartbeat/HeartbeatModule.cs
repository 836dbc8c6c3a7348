using MudBlazor;
using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Heartbeat;

namespace Netlab.Web.Labs.Heartbeat;

public sealed class HeartbeatModule : ILabModule
{
    public LabDefinition Definition => HeartbeatLab.Definition;

    public string Icon => Icons.Material.Filled.MonitorHeart;

    public Type? ServerView => typeof(HeartbeatTimeline);

    public Type? RunView(ProbeKind probe) => typeof(HeartbeatClientView);

    public string? Describe(LabEvent e) => e switch
    {
        HeartbeatSent h => $"heartbeat {h.Sequence} sent",
        HeartbeatReceived { Arrival: HeartbeatArrival.Dropped } h => $"{h.Client} heartbeat {h.Sequence} DROPPED (loss simulation)",
        HeartbeatReceived h => string.Create(CultureInfo.InvariantCulture, $"{h.Client} heartbeat {h.Sequence} {h.Arrival.ToString().ToLowerInvariant()}, delay {h.OneWayDelayMs:F3} ms{(h.NewlyMissing.Count > 0 ? $", missing {string.Join(",", h.NewlyMissing)}" : "")}"),
        HeartbeatGap g => string.Create(CultureInfo.InvariantCulture, $"{g.Client} {g.State.ToString().ToUpperInvariant()} after {g.SilenceMs / 1000:F1} s of silence (last heartbeat {g.LastSequence})"),
        _ => null,
    };

    public string? ResultLine(Netlab.Web.Runs.RunDto run) => run.Value("sent") is { } sent
        ? $"{RunSummary.Number(sent)} sent" + (run.Value("lost") is { } lost ? $", {RunSummary.Number(lost)} lost ({RunSummary.Number(run.Value("lossPercent"))}%), {RunSummary.Number(run.Value("outages"))} outage(s)" : "")
        : null;

    public string? CssClass(LabEvent e) => e switch
    {
        HeartbeatReceived { Arrival: HeartbeatArrival.Dropped } => "dropped",
        HeartbeatReceived { Arrival: HeartbeatArrival.InOrder } => "echoed",
        HeartbeatReceived or HeartbeatGap => "warning",
        _ => null,
    };
}
