# The Netlab portal as a container. Build context: the repository root.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Netlab.Web/Netlab.Web.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY --from=build /src/wwwroot-content /app/wwwroot-content
# Unprefixed so it wins over the "Urls" in appsettings.json (localhost only).
ENV Urls=http://0.0.0.0:5080 \
    Netlab__DataDirectory=/data \
    Netlab__ContentRoot=/app/wwwroot-content \
    Netlab__Servers__BindAddress=0.0.0.0
VOLUME /data
# The portal, and the lab ports published by docker-compose.yml (start lab servers on them).
EXPOSE 5080 12000-12010/udp 12000-12010/tcp
ENTRYPOINT ["dotnet", "Netlab.Web.dll"]
