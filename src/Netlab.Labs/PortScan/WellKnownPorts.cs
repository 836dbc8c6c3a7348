namespace Netlab.Labs.PortScan;

/// <summary>Service names of common TCP ports, as IANA's registry (and nmap's nmap-services) name them.</summary>
public static class WellKnownPorts
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [7] = "echo", [13] = "daytime", [20] = "ftp-data", [21] = "ftp", [22] = "ssh", [23] = "telnet", [25] = "smtp",
        [37] = "time", [53] = "domain", [79] = "finger", [80] = "http", [88] = "kerberos", [110] = "pop3", [111] = "rpcbind",
        [119] = "nntp", [123] = "ntp", [135] = "msrpc", [139] = "netbios-ssn", [143] = "imap", [161] = "snmp", [389] = "ldap",
        [443] = "https", [445] = "microsoft-ds", [465] = "smtps", [514] = "shell", [515] = "printer", [587] = "submission",
        [631] = "ipp", [636] = "ldaps", [873] = "rsync", [993] = "imaps", [995] = "pop3s", [1080] = "socks", [1433] = "ms-sql-s",
        [1521] = "oracle", [2049] = "nfs", [3306] = "mysql", [3389] = "ms-wbt-server", [5432] = "postgresql", [5900] = "vnc",
        [6379] = "redis", [8000] = "http-alt", [8080] = "http-proxy", [8443] = "https-alt", [11211] = "memcache", [27017] = "mongod",
    };

    public static string? Of(int port) => Names.GetValueOrDefault(port);
}
