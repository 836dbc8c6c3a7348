using Netlab.Labs.Core;

namespace Netlab.Labs.TcpConsole;

/// <summary>How a console's connection ended: who closed it (client, server, idle, error) and what went each way.</summary>
public sealed record ConsoleClosed(string By, string Reason, long BytesSent, long BytesReceived) : LabEvent;
