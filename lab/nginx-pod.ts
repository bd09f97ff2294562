/**
 * Pods whose image is nginx itself: the lab runs real nginx in the pod's namespace with the image's default
 * configuration (nginx.conf plus conf.d/default.conf: port 80, the welcome page), every file it writes in the pod's
 * folder of the state folder, so pods and labs never share a file. Pure data: which images, the config, the pages.
 */
import { nginxComment, nginxQuote } from "./ingress";
import { ANSWER_HEADER } from "./protocol";

/**
 * The official nginx image (Docker Hub's `nginx`, its mirrors, and the same image on ECR Public), any tag or digest:
 * `nginx`, `nginx:1.27-alpine`, `docker.io/library/nginx@sha256:...`, `public.ecr.aws/nginx/nginx:1.27`. Not a
 * variant with another default config (`nginxinc/nginx-unprivileged` listens on 8080, `bitnami/nginx` on 8080) and
 * not a private registry's `.../nginx`, whose contents the lab cannot know: those get a stand-in.
 */
const OFFICIAL_NGINX =
    /^(?:(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io|mirror\.gcr\.io)\/)?(?:library\/)?|public\.ecr\.aws\/nginx\/)nginx(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{1,64})?$/;

export function isNginxImage(image: string): boolean {
    return OFFICIAL_NGINX.test(image);
}

/** The one port the image's default config (conf.d/default.conf) listens on. */
export const NGINX_DEFAULT_PORT = 80;

/** nginx's welcome page, as the image serves it from /usr/share/nginx/html/index.html. */
export const WELCOME_PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

/** The image's /usr/share/nginx/html/50x.html. */
export const ERROR_PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
`;

/** The files of the web root: what the default server answers 200 for. */
export const WEB_ROOT_FILES: Readonly<Record<string, string>> = {
    "index.html": WELCOME_PAGE,
    "50x.html": ERROR_PAGE,
};

/** The status the default server answers a GET for `path` with: 200 for the welcome page and 50x.html, else 404. */
export function nginxDefaultStatus(path: string): number {
    const bare = path.split("?")[0]!;
    return bare === "/" || Object.keys(WEB_ROOT_FILES).some((file) => bare === `/${file}`) ? 200 : 404;
}

export interface NginxPodInput {
    readonly image: string;
    readonly pod: { readonly name: string; readonly namespace: string; readonly node: string };
    /** The pod's nginx folder: prefix, pid, logs, temporary files and the web root (`html/`). */
    readonly dir: string;
    /**
     * The user the workers run as. Absent: nginx's default unprivileged user (the image runs them as `nginx`); `root`
     * only when that user cannot reach the web root (a state folder inside a private folder).
     */
    readonly user?: string;
}

/** Kubernetes names only: the pod's identity goes into a header as it is (lowercase letters, digits, '-', '.'). */
function plainName(value: string): string {
    return value.replace(/[^a-z0-9.-]/g, "_");
}

/**
 * nginx.conf for a pod running the nginx image: the image's nginx.conf with conf.d/default.conf inline (listen 80,
 * server_name localhost, root with index.html, error_page 50x), its paths moved from /etc/nginx, /var/log/nginx,
 * /var/run and /var/cache/nginx into `dir`. Differences on purpose: one worker (the image: auto), no
 * `listen [::]:80` (the lab is IPv4), the few MIME types the pages need, and the answer header.
 */
export function nginxPodConfig(input: NginxPodInput): string {
    const { dir, pod, image } = input;
    const file = (name: string): string => nginxQuote(`${dir}/${name}`);
    const identity = `pod=${plainName(pod.name)} namespace=${plainName(pod.namespace)} node=${plainName(pod.node)} port=${NGINX_DEFAULT_PORT} from=$remote_addr path=$uri`;
    return [
        nginxComment(
            `Written by clusternet lab: pod ${pod.namespace}/${pod.name} runs ${image} with its default config.`,
        ),
        ...(input.user !== undefined ? [`user ${input.user};`] : []),
        `worker_processes 1;`,
        `error_log ${file("error.log")} notice;`,
        `pid ${file("nginx.pid")};`,
        `events {`,
        `    worker_connections 1024;`,
        `}`,
        `http {`,
        `    types {`,
        `        text/html html htm shtml;`,
        `        text/css css;`,
        `        text/plain txt;`,
        `        application/javascript js;`,
        `        application/json json;`,
        `        image/png png;`,
        `        image/x-icon ico;`,
        `    }`,
        `    default_type application/octet-stream;`,
        `    access_log ${file("access.log")};`,
        `    client_body_temp_path ${file("client_temp")};`,
        `    proxy_temp_path ${file("proxy_temp")};`,
        `    fastcgi_temp_path ${file("fastcgi_temp")};`,
        `    uwsgi_temp_path ${file("uwsgi_temp")};`,
        `    scgi_temp_path ${file("scgi_temp")};`,
        `    sendfile on;`,
        `    keepalive_timeout 65;`,
        `    ${nginxComment("conf.d/default.conf, and the one addition: the header naming the pod (lab/protocol.ts)")}`,
        `    server {`,
        `        listen ${NGINX_DEFAULT_PORT};`,
        `        server_name localhost;`,
        `        add_header ${ANSWER_HEADER} ${nginxQuote(identity)} always;`,
        `        location / {`,
        `            root ${file("html")};`,
        `            index index.html index.htm;`,
        `        }`,
        `        error_page 500 502 503 504 /50x.html;`,
        `        location = /50x.html {`,
        `            root ${file("html")};`,
        `        }`,
        `    }`,
        `}`,
        ``,
    ].join("\n");
}
