using MudBlazor;
using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Time;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Time;

public sealed class TimeModule : ILabModule
{
    public LabDefinition Definition => TimeLab.Definition;

    public string Icon => Icons.Material.Filled.Schedule;

    public Type? RunView(ProbeKind probe) => typeof(TimeSyncView);

    public string? Describe(LabEvent e) => e switch
    {
        TimeRequestSeen r => r.Answer is { } answer ? $"{r.Client} \"{r.Command}\" -> {answer}" : $"{r.Client} \"{r.Command}\" -> ERR",
        TimeEstimate t => t.Error ?? string.Create(CultureInfo.InvariantCulture, $"#{t.Sequence} {t.ServerTime} rtt {t.RttMs:F3} ms offset {t.OffsetMs:+0.000;-0.000;0.000} ± {t.ErrorMs:F3} ms"),
        _ => null,
    };

    public string? CssClass(LabEvent e) => e switch
    {
        TimeRequestSeen r => r.Answer is null ? "warning" : "echoed",
        TimeEstimate t => t.Error is null ? "echoed" : "dropped",
        _ => null,
    };

    public string? ResultLine(RunDto run) => run.Value("offsetMs") is { } offset
        ? $"offset {RunSummary.Number(offset)} ± {RunSummary.Number(run.Value("errorMs"))} ms (rtt {RunSummary.Number(run.Value("rttMs"))} ms)"
        : run.Value("requests") is not null ? "no answer" : null;
}
