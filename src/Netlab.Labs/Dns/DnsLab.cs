using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>The dns lab as the portal offers it: its server, probes and own events.</summary>
public static class DnsLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "dns",
        "DNS",
        "An authoritative DNS server and client in RFC 1035 wire format: name compression, NXDOMAIN, TC and TCP, and every message as labelled hex.",
        "Handout 003: An Authoritative DNS Server and Client",
        new ServerKind("dns", typeof(DnsServerOptions),
            (options, context) => new DnsServer((DnsServerOptions)options, context)),
        [
            new ProbeKind("dns-query", "DNS client", typeof(DnsProbeOptions),
                (options, environment) => new DnsProbe((DnsProbeOptions)options, environment.Time)),
            new ProbeKind("dns-grade", "Server grader", typeof(DnsServerGraderOptions),
                (options, environment) => new DnsServerGrader((DnsServerGraderOptions)options, environment)),
            new ProbeKind("dns-client-grade", "Client grader", typeof(DnsClientGraderOptions),
                (options, environment) => new DnsClientGrader((DnsClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<DnsQueryLogged>("dnsQueryLogged"),
        ],
    };
}
