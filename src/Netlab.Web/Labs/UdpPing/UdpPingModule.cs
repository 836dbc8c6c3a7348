using MudBlazor;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;
using Netlab.Web.Components.Shared;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.UdpPing;

public sealed class UdpPingModule : ILabModule
{
    public LabDefinition Definition => UdpPingLab.Definition;

    public string Icon => Icons.Material.Filled.NetworkPing;

    public Type? ServerView => typeof(DatagramCounters);

    // The graders' runs are checks: the generic view shows them.
    public Type? RunView(ProbeKind probe) => probe.OptionsType == typeof(UdpPingProbeOptions) ? typeof(PingResults) : null;

    public string? Describe(LabEvent e) => e is DatagramSeen d
        ? $"{d.Remote} {d.Length} bytes {(d.Action == DatagramAction.Dropped ? "DROPPED (loss simulation)" : "echoed")}{(d.DelayMs is { } delay ? $" after {delay:F1} ms" : "")}: {d.Preview}"
        : null;

    public string? CssClass(LabEvent e) => e is DatagramSeen d ? (d.Action == DatagramAction.Dropped ? "dropped" : "echoed") : null;

    public string? ResultLine(RunDto run) => PingResults.StatisticsLine(run);
}
