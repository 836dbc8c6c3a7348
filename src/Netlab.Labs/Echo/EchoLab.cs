using Netlab.Labs.Core;

namespace Netlab.Labs.Echo;

/// <summary>The echo lab as the portal offers it: its server (TCP or UDP), probe and own events.</summary>
public static class EchoLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "echo",
        "Echo and Upper-case",
        "TCP and UDP servers that send back what they receive, as is or upper-cased, and a client that shows each recv() as it arrives.",
        "Handout 001 (TCP and UDP echo), handout 003 (upper-case servers), handout 004 (partial reads)",
        new ServerKind("echo", typeof(EchoServerOptions), (options, context) =>
            ((EchoServerOptions)options).Transport == EchoTransport.Udp
                ? new EchoUdpServer((EchoServerOptions)options, context)
                : new EchoTcpServer((EchoServerOptions)options, context)),
        [
            new ProbeKind("echo-client", "Echo client", typeof(EchoClientOptions),
                (options, environment) => new EchoClientProbe((EchoClientOptions)options, environment.Time)),
            new ProbeKind("echo-grade", "Server grader", typeof(EchoServerGraderOptions),
                (options, environment) => new EchoServerGrader((EchoServerGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<EchoSeen>("echoSeen"),
            EventKind.Of<EchoChunk>("echoChunk"),
        ],
    };
}
