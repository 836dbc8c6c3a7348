using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Npgsql;

namespace Netlab.Web.Data;

/// <summary>Which database the portal keeps its store in (<c>Netlab:Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>The embedded default: <c>&lt;DataDirectory&gt;/netlab.db</c>, nothing to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server (<c>ConnectionStrings:Netlab</c>), which several portal instances may share.</summary>
    Postgres,
}

public static class NetlabDatabase
{
    public const string ProviderKey = "Netlab:Database:Provider";
    public const string ConnectionStringName = "Netlab";

    /// <summary>
    /// Registers the store on the configured provider, with that provider's migrations assembly
    /// (migrations/Netlab.Migrations or migrations/Netlab.Migrations.Postgres). A setting that
    /// cannot work is a <see cref="StartupProblemException"/> (one line, exit 2).
    /// </summary>
    public static DatabaseProvider AddNetlabDatabase(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        var provider = ReadProvider(configuration);
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                // SQLite is always the file in the data folder (which the folder lock guards); a connection
                // string here is most likely meant for PostgreSQL with the provider forgotten, so say so.
                if (!string.IsNullOrWhiteSpace(connectionString))
                    throw new StartupProblemException($"ConnectionStrings:{ConnectionStringName} is set but {ProviderKey} is Sqlite (the default), which always uses " +
                        $"{Path.Combine(dataDirectory, "netlab.db")}. Set {ProviderKey}=Postgres to use that connection string, or remove it.");
                services.AddDbContextFactory<NetlabDbContext>(db => db.UseSqlite(
                    $"Data Source={Path.Combine(dataDirectory, "netlab.db")}",
                    sqlite => sqlite.MigrationsAssembly("Netlab.Migrations")).AddInterceptors(SqliteDurability.Instance));
                break;
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new StartupProblemException($"{ProviderKey} is Postgres but ConnectionStrings:{ConnectionStringName} is not set. " +
                        "Set it (environment ConnectionStrings__Netlab=\"Host=...;Database=netlab;Username=...;Password=...\").");
                try
                {
                    _ = new NpgsqlConnectionStringBuilder(connectionString);
                }
                catch (ArgumentException e)
                {
                    throw new StartupProblemException($"ConnectionStrings:{ConnectionStringName} is not a PostgreSQL connection string: {e.Message} " +
                        "Write it as \"Host=...;Database=netlab;Username=...;Password=...\".", e);
                }
                // `dotnet ef migrations add` needs no server: it only reads the model.
                if (!EF.IsDesignTime)
                    EnsureReachable(connectionString);
                services.AddDbContextFactory<NetlabDbContext>(db => db.UseNpgsql(connectionString,
                    npgsql => npgsql.MigrationsAssembly("Netlab.Migrations.Postgres")));
                break;
        }
        return provider;
    }

    private static DatabaseProvider ReadProvider(IConfiguration configuration)
    {
        var value = configuration[ProviderKey];
        if (string.IsNullOrWhiteSpace(value))
            return DatabaseProvider.Sqlite;
        return Enum.TryParse<DatabaseProvider>(value.Trim(), ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            ? provider
            : throw new StartupProblemException($"{ProviderKey} is \"{value}\"; it must be Sqlite (the default) or Postgres.");
    }

    /// <summary>
    /// Connects once before the host starts, so a server that is down or refuses the login is one
    /// line (exit 2) rather than a failed hosting start with its stack.
    /// </summary>
    private static void EnsureReachable(string connectionString)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // No such database yet: the first migration creates it (when the role may create databases).
        }
        catch (NpgsqlException e)
        {
            throw Unusable(connectionString, e);
        }
    }

    /// <summary>A PostgreSQL problem fixed in the configuration or on the server, as one line; never the password.</summary>
    public static StartupProblemException Unusable(string connectionString, Exception e)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return new StartupProblemException($"The PostgreSQL database \"{b.Database}\" on {b.Host}:{b.Port} cannot be used: {e.Message.TrimEnd('.')}. " +
            $"Check ConnectionStrings:{ConnectionStringName} and that the server is running.", e);
    }
}
