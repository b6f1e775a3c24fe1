# bash completion for cerelay. Commands and options are read from the program's own --help
# texts when completing, so this file never goes stale.
_cerelay_commands() {
    "$1" --help 2>/dev/null |
        awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'
}

_cerelay() {
    local cur prev prog cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    prog=${COMP_WORDS[0]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_cerelay_commands "$prog") help --help --version" -- "$cur")
        return
    fi
    cmd=${COMP_WORDS[1]}
    case "$prev" in
    -c | --config | --file | --event | --catalog | --data)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --log)
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return
        ;;
    --format)
        mapfile -t COMPREPLY < <(compgen -W "json pretty" -- "$cur")
        return
        ;;
    --mode)
        mapfile -t COMPREPLY < <(compgen -W "binary structured batch off warn enforce" -- "$cur")
        return
        ;;
    --offset)
        mapfile -t COMPREPLY < <(compgen -W "earliest latest" -- "$cur")
        return
        ;;
    --fsync)
        mapfile -t COMPREPLY < <(compgen -W "always interval never" -- "$cur")
        return
        ;;
    esac
    case "$cmd" in
    help)
        mapfile -t COMPREPLY < <(compgen -W "$(_cerelay_commands "$prog")" -- "$cur")
        return
        ;;
    config)
        if [ "$COMP_CWORD" -eq 2 ]; then
            mapfile -t COMPREPLY < <(compgen -W "check" -- "$cur")
            return
        fi
        cmd="config check"
        ;;
    catalog)
        if [ "$COMP_CWORD" -eq 2 ]; then
            mapfile -t COMPREPLY < <(compgen -W "list show validate" -- "$cur")
            return
        fi
        ;;
    esac
    if [[ "$cur" == -* ]]; then
        # shellcheck disable=SC2086
        mapfile -t COMPREPLY < <(compgen -W "$("$prog" $cmd --help 2>/dev/null |
            grep -o -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}
complete -o filenames -F _cerelay cerelay
