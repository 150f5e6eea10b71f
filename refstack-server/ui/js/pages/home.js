// The home and about pages (static text).

import {apiUrl} from '../api.js';
import {h, replace} from '../dom.js';
import {TARGET_LABELS} from '../targets.js';

const PROGRAMS = [
  ['platform', 'Compute and object storage together: the full OpenStack Powered Platform.'],
  ['compute', 'Clouds or products offering the OpenStack compute service.'],
  ['object', 'Clouds or products offering the OpenStack object storage service.'],
  ['dns', 'Add-on program for the DNS service (Designate).'],
  ['orchestration', 'Add-on program for the orchestration service (Heat).'],
  ['shared_file_system', 'Add-on program for shared file systems (Manila).'],
  ['load_balancer', 'Add-on program for load balancing (Octavia).'],
  ['key_manager', 'Add-on program for key management (Barbican).'],
];

function code(text) {
  return h('pre', {class: 'code'}, h('code', {}, text));
}

/** #/ */
export function homePage(container) {
  replace(container,
    h('h1', {}, 'RefStack'),
    h('p', {class: 'lead'},
      'RefStack is a toolset for testing the interoperability of OpenStack clouds and products. ',
      'A cloud runs the Tempest tests of an interop guideline, uploads the list of tests that passed, ',
      'and this site shows whether the cloud complies with the guideline of an OpenStack Powered™ program.'),
    h('section', {'aria-labelledby': 'programs-h'},
      h('h2', {id: 'programs-h'}, 'Programs'),
      h('p', {}, 'Each guideline defines capabilities per program; a capability is required, advisory, deprecated or removed, and is checked by a set of Tempest tests.'),
      h('dl', {class: 'programs'},
        PROGRAMS.map(([target, text]) => [h('dt', {}, TARGET_LABELS[target], ' ', h('code', {}, target)), h('dd', {}, text)])),
      h('p', {}, h('a', {href: '#/guidelines'}, 'Browse the guidelines'), ' to see the capabilities and tests of each program.')),
    h('section', {'aria-labelledby': 'howto-h'},
      h('h2', {id: 'howto-h'}, 'Test your cloud with refstack-tester'),
      h('ol', {class: 'steps'},
        h('li', {}, 'Install the tester (from a clone of the refstack-rs repository; the crate is not on crates.io yet) and Tempest, and make a Tempest workspace: ',
          code('cargo install --locked --path refstack-tester\npip install tempest\nrefstack-tester init cloud && cd cloud')),
        h('li', {}, 'Write a tempest.conf for your cloud: ', code('refstack-tester config --os-cloud mycloud --out etc/tempest.conf')),
        h('li', {}, 'Get the test list of a guideline (or download it from the guideline page): ',
          code(`refstack-tester testlist --guideline 2020.06 --target platform --type required \\\n    --alias true --flag false > list.txt`)),
        h('li', {}, 'Run the tests, see the compliance report, and upload the results to this server: ',
          code(`refstack-tester test -c etc/tempest.conf --test-list list.txt \\\n    --guideline 2020.06 --target platform -u --url ${apiUrl('').replace(/\/v1\/?$/, '')}`)),
        h('li', {}, 'Open the link printed after the upload to see the report, or find the run under ',
          h('a', {href: '#/community_results'}, 'Community Results'), ' once it is shared.'))));
}

/** #/about */
export function aboutPage(container) {
  replace(container,
    h('h1', {}, 'About RefStack'),
    h('p', {}, 'This server is a Rust rebuild of RefStack, compatible with the v1 REST API of RefStack 2.1.0 and with refstack-client uploads.'),
    h('section', {'aria-labelledby': 'upload-h'},
      h('h2', {id: 'upload-h'}, 'Uploading your results'),
      h('p', {}, 'Uploads go to ', h('code', {}, apiUrl('results')), '. Anonymous uploads are visible to anyone who has the link. ',
        'Signed uploads (with a key registered to a user) are private until their owner shares them.')),
    h('section', {'aria-labelledby': 'manage-h'},
      h('h2', {id: 'manage-h'}, 'Managing results'),
      h('p', {}, 'Sharing a run, associating it with a guideline, a target program and a product version, and verification ',
        'need a signed-in user: sign in, import your public key on the ', h('a', {href: '#/profile'}, 'Profile'),
        ' page, upload signed, and manage the runs under ', h('a', {href: '#/user_results'}, 'My Results'), '. ',
        'Command-line tools use a personal API token from the profile page (or a JWT signed with your key).')),
    h('section', {'aria-labelledby': 'vendors-h'},
      h('h2', {id: 'vendors-h'}, 'Vendors and products'),
      h('p', {}, 'Official vendors and public products are listed under ', h('a', {href: '#/public_vendors'}, 'Vendors'),
        ' and ', h('a', {href: '#/public_products'}, 'Products'), '. Signed-in users create vendors and products under ',
        h('a', {href: '#/user_vendors'}, 'My Vendors'), ' and ', h('a', {href: '#/user_products'}, 'My Products'),
        '; a vendor becomes official once the foundation approves its registration.')),
    h('section', {'aria-labelledby': 'api-h'},
      h('h2', {id: 'api-h'}, 'API'),
      h('p', {}, 'The OpenAPI document of the API: ', h('a', {href: apiUrl('openapi.json')}, apiUrl('openapi.json')), '. ',
        'Beyond upstream, ', h('code', {}, 'GET results/{id}/compliance'), ' returns the compliance report this site shows.')));
}
