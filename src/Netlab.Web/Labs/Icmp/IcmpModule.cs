using MudBlazor;
using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Icmp;
using Netlab.Web.Components.Shared;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Icmp;

public sealed class IcmpModule : ILabModule
{
    public LabDefinition Definition => IcmpLab.Definition;

    public string Icon => Icons.Material.Filled.Radar;

    public Type? RunView(ProbeKind probe) => probe.OptionsType == typeof(TracerouteOptions) ? typeof(TracerouteView) : typeof(PingResults);

    public string? Describe(LabEvent e) => e is TracerouteHop t
        ? $"hop {t.Hop}: {string.Join(", ", t.Addresses.Select(a => a ?? "*").Distinct())}  {Rtts(t)}"
        : null;

    public string? ResultLine(RunDto run) => run.Value("hops") is { } hops
        ? $"{(run.Value("reached") == 1 ? "reached" : "not reached")} in {RunSummary.Number(hops)} hop(s)"
        : PingResults.StatisticsLine(run);

    public static string Rtts(TracerouteHop hop) =>
        string.Join("  ", hop.RttsMs.Select(r => r is { } ms ? ms.ToString("F3", CultureInfo.InvariantCulture) : "*"));
}
