using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Netlab.Labs.Echo;

public enum EchoTransport { Tcp, Udp }

public enum LineEnding { Lf, CrLf, None }

public sealed record EchoServerOptions
{
    [Description("tcp: a stream, one connection per client (handout 001's TCP echo); udp: one datagram back per datagram.")]
    public EchoTransport Transport { get; init; } = EchoTransport.Tcp;

    [Display(Name = "Upper-case")]
    [Description("Send back upper-cased (handout 003's upper-case servers) rather than as is.")]
    public bool Uppercase { get; init; }

    [StringLength(200), Description("A line sent to each TCP client when it connects, e.g. \"You are connected\"; empty = none.")]
    public string Greeting { get; init; } = "";

    [Display(Name = "Chunk bytes")]
    [Range(0, 65_536), Description("TCP: answer in writes of at most this many bytes (0 = one write), to show that a stream keeps no message boundaries.")]
    public int ChunkBytes { get; init; }

    [Display(Name = "Pause between chunks (ms)", GroupName = "Advanced")]
    [Range(0, 5_000), Description("TCP with chunk bytes: wait this long between the small writes, so they arrive as separate recv()s.")]
    public int ChunkDelayMs { get; init; } = 20;

    [Display(Name = "Idle timeout (ms)", GroupName = "Advanced")]
    [Range(100, 3_600_000), Description("A TCP connection that sends nothing for this long is closed, in ms.")]
    public int IdleTimeoutMs { get; init; } = 120_000;

    [Display(Name = "Max connections", GroupName = "Advanced")]
    [Range(1, 10_000), Description("TCP clients served at once; one more is closed at once.")]
    public int MaxConnections { get; init; } = 200;
}

public sealed record EchoClientOptions
{
    [DataType(DataType.MultilineText), StringLength(65_536, MinimumLength = 1)]
    [Description("The lines to send, one message per line.")]
    public string Lines { get; init; } = "hello\nYou are connected?";

    [Description("tcp: one connection for all the lines; udp: one datagram per line.")]
    public EchoTransport Transport { get; init; } = EchoTransport.Tcp;

    [Display(Name = "Line ending")]
    [Description("What ends each line sent: LF (Python's print), CRLF (telnet, SMTP) or none (the handout's send(message)).")]
    public LineEnding LineEnding { get; init; } = LineEnding.Lf;

    [Display(Name = "Quiet time (ms)", GroupName = "Advanced")]
    [Range(1, 10_000), Description("TCP: a reply is taken as complete when nothing more arrives for this long (or once as many bytes came back as were sent).")]
    public int QuietMs { get; init; } = 200;

    [Range(1, 60_000), Description("How long to wait for each reply at most, in ms.")]
    public int TimeoutMs { get; init; } = 2_000;

    [Display(Name = "Most bytes received", GroupName = "Advanced")]
    [Range(1024, 64 * 1024 * 1024), Description("A server that sends more than this in all (greeting and replies) ends the run as Failed: an echo is as long as what was sent, a flood is not.")]
    public int MaxReceivedBytes { get; init; } = 1024 * 1024;
}
