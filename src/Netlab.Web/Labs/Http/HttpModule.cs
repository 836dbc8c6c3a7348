using MudBlazor;
using System.Globalization;
using Netlab.Labs.Core;
using Netlab.Labs.Http;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Http;

public sealed class HttpModule : ILabModule
{
    public LabDefinition Definition => HttpLab.Definition;

    public string Icon => Icons.Material.Filled.Language;

    public Type? RunView(ProbeKind probe) => probe.OptionsType == typeof(HttpProbeOptions) ? typeof(HttpExchangeView) : null;

    public string? Describe(LabEvent e) => e switch
    {
        AccessLogEntry a => string.Create(CultureInfo.InvariantCulture, $"{a.Client} \"{a.Method} {a.Target}\" {a.Status} {a.Bytes} bytes {a.DurationMs:F3} ms"),
        HttpResponseView v => $"{v.Version} {v.Status} {v.Reason}, {v.BodyBytes} bytes",
        _ => null,
    };

    public string? CssClass(LabEvent e) => e is AccessLogEntry a ? (a.Status >= 400 ? "warning" : "echoed") : null;

    public string? ResultLine(RunDto run) => run.Value("maxScore") is { } max
        ? $"score {RunSummary.Number(run.Value("score"))}/{RunSummary.Number(max)}"
        : run.Value("status") is { } status ? $"HTTP {status}, {RunSummary.Number(run.Value("bodyBytes"))} bytes" : null;
}
