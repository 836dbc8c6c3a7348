using Netlab.Labs.Core;

namespace Netlab.Labs.PortScan;

/// <summary>The port-scan lab: no server, one probe (a TCP connect scan) and its per-port event.</summary>
public static class PortScanLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "port-scan",
        "Port Scanner",
        "A TCP connect scan of a port range on an allowed host: open, closed or filtered per port, live, with a report like nmap's.",
        "Handout 002: connecting to a server, a port scanner",
        null,
        [
            new ProbeKind("port-scan", "Port scan", typeof(PortScanOptions),
                (options, environment) => new PortScanProbe((PortScanOptions)options, environment.Time)) { UsesPort = false },
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<PortResult>("portResult"),
        ],
    };
}
