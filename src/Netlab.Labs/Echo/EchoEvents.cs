using Netlab.Labs.Core;

namespace Netlab.Labs.Echo;

/// <summary>A message an echo server received (a TCP recv() or a UDP datagram), from whom, and what it sent back in how many writes.</summary>
public sealed record EchoSeen(string Client, string Transport, int Length, string Text, string Reply, int Writes) : LabEvent;

/// <summary>
/// One recv() of the echo client: which line it followed (0 = before any, a greeting), its
/// number within that reply, its bytes as text, and when it came, ms after the line was sent.
/// </summary>
public sealed record EchoChunk(int Line, int Chunk, int Length, string Text, double AtMs) : LabEvent;
