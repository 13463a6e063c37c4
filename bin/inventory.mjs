#!/usr/bin/env node
// The admin CLI (`npx inventory --help`): TypeScript sources run through tsx, like the bridge.
import { register } from 'tsx/esm/api';

register();
await import('../bridge/cli/main.ts');
